"""Reference checking: offline against the lock file, online against arXiv and Crossref."""
