from backlot.cli import app

app(prog_name="backlot")
