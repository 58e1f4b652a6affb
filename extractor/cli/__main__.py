"""``python -m extractor.cli`` runs the ``extract-entities`` command."""

from . import main

main()
