"""The video stage: slides, offline narration, captions and chapters, assembly."""
