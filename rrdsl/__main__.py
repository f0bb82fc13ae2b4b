"""`python -m rrdsl` — the same as the `rrdsl` command."""

from .cli import run

run()
