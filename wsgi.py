"""The WSGI entry point gunicorn serves: ``gunicorn -c gunicorn.conf.py wsgi:app``."""

from kiosk import create_app

app = create_app()

# gunicorn preloads this module in its master (gunicorn.conf.py), so what is compiled here is
# shared by every worker it forks, and by the ones it forks again after a crash or
# max_requests: no customer waits ~5 ms a template for a fresh worker's first receipt.
for name in app.jinja_env.list_templates(extensions=("html", "txt")):
    app.jinja_env.get_template(name)
