"""The PDF engine is loaded by the first PDF, not by the server's import of the report views."""

from __future__ import annotations

import subprocess
import sys


def test_web_server_does_not_load_weasyprint_until_a_pdf_is_asked() -> None:
    # Each server process imports the report views; WeasyPrint and fontTools would hold ~30 MB there.
    code = (
        "import sys\n"
        "import leviers.web.app, leviers.web.views.spaser, leviers.reports.pdf\n"
        "print('weasyprint' in sys.modules, 'fontTools' in sys.modules)\n"
        "leviers.reports.pdf.pdf_bytes('<html lang=\"fr\"><title>t</title><p>x</p></html>')\n"
        "print('weasyprint' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False", "True"]
