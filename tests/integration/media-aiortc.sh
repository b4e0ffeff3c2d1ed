#!/bin/bash
# media-aiortc.sh -- run media-aiortc-run.py with a Python that has aiortc
# (Debian: apt-get install python3-aiortc). SKIP (77) when none has it.
for py in python3 /usr/bin/python3; do
  if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import aiortc' >/dev/null 2>&1; then
    exec "$py" "$top_srcdir/tests/integration/media-aiortc-run.py" \
      "$top_builddir/tests/integration/media-peer"
  fi
done
echo "SKIP: aiortc cannot be imported (apt-get install python3-aiortc)"
exit 77
