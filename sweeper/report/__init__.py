"""`sweeper report`: one self-contained HTML file about a sweep, that opens offline.

    page.py      the page: gather from the store, fill template.html
    figures.py   the plotly figures
    escape.py    every value from a sweep shown as text, in HTML and in plotly
"""
