"""The pages: one HTML shell and a page script that draws sweeps, runs and comparisons from
data (sweeper/results/views.py), for both renderings: `sweeper ui` serves them live, and
`sweeper report` writes a sweep's page as one offline file.

    shell.py      the HTML page: style and scripts linked (dashboard) or inline (report)
    snapshot.py   `sweeper report`: the sweep page's data and curves, inline, offline
    escape.py     text for HTML and for plotly, JSON safe inside <script>
    static/       the page script (util, charts, table, views, sweep, app .js), its style (app.css):
                  hand-written, no build step; plotly.js comes from the installed plotly package
"""
