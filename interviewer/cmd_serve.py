"""``interviewer serve``: the web app over the same data dir, bank and judges as the terminal
commands. Registered on the main app by ``interviewer.cli``; the web stack is imported only when
the command runs, so ``interviewer --help`` and the terminal interview never load it."""

from typing import Annotated

import typer

from interviewer.options import BankOpt, DataDirOpt


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port to listen on (0: any free port).")] = 8765,
        host: Annotated[str, typer.Option("--host", help="Address to listen on. Anything but 127.0.0.1, localhost or ::1 "
                                          "prints a warning and requires the token printed in the URL.")] = "127.0.0.1",
        open_browser: Annotated[bool, typer.Option("--open", help="Open the app in the default browser.")] = False,
        bank: BankOpt = None,
        data_dir_opt: DataDirOpt = None,
    ) -> None:
        """Serve the interview, reports, history, progress and drills as a local web app."""
        from interviewer.web.server import serve as run

        run(data_dir_opt, host=host, port=port, open_browser=open_browser, banks=bank)
