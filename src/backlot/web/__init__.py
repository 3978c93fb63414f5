"""Small browser pages, one per app; plain HTML and JavaScript, no bundler."""
