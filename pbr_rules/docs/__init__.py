"""The generated documentation (`pbr docs`): every ruleset as a plain-English site, HTML and Markdown.

``lexer`` highlights the language for Pygments (and for any tool that finds it by its entry point).
"""
