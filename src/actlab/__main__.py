"""``python -m actlab`` runs the ``actlab`` command."""

from actlab.cli import main

main()
