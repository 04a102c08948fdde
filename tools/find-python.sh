#!/usr/bin/env sh
# Print the path of a Python >= 3.12 found on this machine (PATH first, then pyenv), or fail.
# Why a script: pyenv shims answer for versions that are not selected, so each candidate is run.
for candidate in python3.12 python3.13 python3 \
    "$HOME"/.pyenv/versions/3.12*/bin/python3 "$HOME"/.pyenv/versions/3.13*/bin/python3 \
    /usr/local/bin/python3.13 /usr/local/bin/python3.12 /usr/bin/python3.13 /usr/bin/python3.12; do
    if "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; then
        "$candidate" -c 'import sys; print(sys.executable)'
        exit 0
    fi
done
echo "Leviers needs Python >= 3.12 and none was found (tried PATH and ~/.pyenv/versions)." >&2
exit 1
