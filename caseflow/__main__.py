from caseflow.cli import app

app()
