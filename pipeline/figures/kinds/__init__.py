"""Built-in figure kinds: each module registers one or more kinds with `@figure_kind`."""
