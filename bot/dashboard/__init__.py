"""The web dashboard and gallery (issue 20), served by bot/web.py when `WEB_PUBLIC_URL` is set.

`pages.py` (routes, checks), `auth.py` (links, cookies, CSRF, OAuth2 + PKCE, rate limits),
`members.py` (what the bot sees of a member now), `thumbs.py`, `charts.py` (SVG geometry),
`text.py` (every page text), `templates/` (Jinja2, autoescaped), `static/` (one CSS, one JS file).
"""
