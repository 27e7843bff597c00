"""Makes the source tree importable in the venv and installs the `lyhord` console script.

The extension itself is built by `make build` with cargo (see the Makefile for why it is not
built by maturin here); wheels for users are built by `make wheel` (maturin, release).
"""

import sys
import sysconfig
from pathlib import Path

root = Path(__file__).resolve().parent.parent
site = Path(sysconfig.get_paths()["purelib"])
(site / "lyhord-dev.pth").write_text(str(root / "python") + "\n")
script = Path(sys.prefix) / "bin" / "lyhord"
script.write_text(
    f"#!{sys.executable}\nimport sys\nfrom lyhord.cli import main\nsys.exit(main())\n"
)
script.chmod(0o755)
print(f"lyhord dev install: {site / 'lyhord-dev.pth'}, {script}")
