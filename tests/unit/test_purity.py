"""The protocol core must not depend on Django or DRF."""

import subprocess
import sys


def test_protocol_imports_neither_django_nor_drf():
    code = (
        "import sys, importlib, pkgutil, scim_provider.protocol as p\n"
        "for m in pkgutil.iter_modules(p.__path__):\n"
        "    importlib.import_module('scim_provider.protocol.' + m.name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('django', 'rest_framework'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
