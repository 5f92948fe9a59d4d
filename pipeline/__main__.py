"""`python -m pipeline` is the same as the `fiveml` command."""

from pipeline.cli import main

raise SystemExit(main())
