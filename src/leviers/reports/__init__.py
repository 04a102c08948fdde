"""Reports: documents rendered from the core's data (HTML for print, tagged PDF), a face beside the
CLI and the web. `spaser.py` renders the SPASER report (leviers.spaser); `pdf.py` turns any of
them into an accessible PDF with WeasyPrint (no browser)."""
