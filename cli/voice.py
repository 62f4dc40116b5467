"""`ddh voice`: the voice channel's offline preparation."""

from __future__ import annotations

import typer

from cli.common import CLIError, setup
from ddh.settings import get_settings

app = typer.Typer(help="Voice channel", no_args_is_help=True)


@app.command("model")
def voice_model() -> None:
    """Prepare the speech-to-text model (assemble the bundled Whisper base) and print
    its directory."""
    from bot.stt_model import ModelError, model_dir

    setup()
    settings = get_settings()
    try:
        typer.echo(str(model_dir(settings.stt_model, settings.model_cache)))
    except ModelError as exc:
        raise CLIError(str(exc)) from None
