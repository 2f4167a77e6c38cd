"""`sweeper ui`: the live dashboard, a local web server over the store the agents write.

Only `sweeper ui` imports this package's server modules (Starlette and uvicorn are the `ui`
extra); the pages themselves (HTML shell, script, style) are the report's (sweeper/report/),
drawn from the data of sweeper/results/views.py, so the dashboard and `sweeper report` show
the same pages from one data path.

    app.py     create_app(store, token): the routes, no global state
    api.py     the JSON API: one decorator turns every error into a JSON error and a status
    live.py    server-sent events: one poll of the store's change mark, pushed to every page
    auth.py    the token that guards control actions (pause, resume, stop, cancel)
    assets.py  the page, its script and style, and plotly.js from the installed plotly package
    serve.py   start uvicorn on 127.0.0.1 and print the URL with its token
"""
