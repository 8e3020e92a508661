"""Reports (HTML, Markdown, JSON) and the analytics over history that drive drilling."""
