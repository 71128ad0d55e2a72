"""`avpe`: the app's work from a terminal, in the seed API's JSON shapes.

Every command opens the same library and workspace as the desktop app (or `AVPE_HOME`'s), and
every failure a creator can cause ends in one readable line and a non-zero exit status.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
from collections.abc import Callable, Coroutine, Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, TextIO, TypeVar

from pydantic import ValidationError

from avpe_desktop import __version__
from avpe_desktop.characters import (
    CharacterError,
    analyse_character,
    find_character,
    import_character,
    remove_character,
)
from avpe_desktop.config import AppDirs, app_dirs
from avpe_desktop.context import AppContext
from avpe_desktop.domain import (
    AspectRatio,
    Brief,
    Character,
    Content,
    Format,
    Job,
    JobStatus,
    Project,
    RenderResult,
    RenderSettings,
    Resolution,
    StepKind,
    StepStatus,
)
from avpe_desktop.domain.character import DEFAULT_CREATURE_LANGUAGE, appearance_lines
from avpe_desktop.engines.base import Engine, EngineError
from avpe_desktop.engines.registry import BASE_URL_ENV, create_engine
from avpe_desktop.input_files import describe_os_error
from avpe_desktop.log_file import configure_logging, install_handler
from avpe_desktop.media.ffmpeg import MediaError
from avpe_desktop.media.images import ImageRejectedError
from avpe_desktop.pipeline.export import export_file_name, export_video
from avpe_desktop.pipeline.outcome import failed_steps, partial_note, retry_report, segments_text
from avpe_desktop.pipeline.progress import ProgressEvent, Stage
from avpe_desktop.pipeline.queue import UNFINISHED, QueueError, RenderQueue
from avpe_desktop.pipeline.screenwriter import write_script
from avpe_desktop.pipeline.script_file import read_script_file
from avpe_desktop.projects import create_project, find_project
from avpe_desktop.secrets import SecretRedactor, SecretsUnavailableError
from avpe_desktop.storage.backups import BackupReason
from avpe_desktop.storage.cloudinary_upload import (
    CloudinaryAccount,
    CloudinaryUploader,
    UploadError,
    upload_character,
)
from avpe_desktop.storage.layout import ProjectLayout
from avpe_desktop.storage.repository import LibraryError, LibraryOpenError
from avpe_desktop.storage.restore import missing_after_restore, restore_library, summarise_backups
from avpe_desktop.storage.sqlite_library import SqliteLibrary

EXIT_USER_ERROR = 1
EXIT_INTERRUPTED = 130  # what a shell reports for a program stopped by Ctrl-C

T = TypeVar("T")

PAY_AGAIN_HELP = "pay again for paid results whose files are gone (their cost is shown first)"
DEMO_IDEA = "Floof discovers a mysterious box"
DEMO_CHARACTER = "Floof"

_EXPECTED_ERRORS = (
    CharacterError,
    ImageRejectedError,
    ValidationError,
    LibraryError,
    QueueError,
    EngineError,
    MediaError,
    SecretsUnavailableError,
    UploadError,
    OSError,
    ValueError,
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    if not hasattr(args, "handler"):
        parser.print_help()
        return EXIT_USER_ERROR
    try:
        if not getattr(args, "opens_library", True):
            files_handler: Callable[[AppDirs, argparse.Namespace], int] = args.handler
            return files_handler(app_dirs(), args)
        with _open_context() as ctx:
            handler: Callable[[AppContext, argparse.Namespace], int] = args.handler
            return handler(ctx, args)
    except json.JSONDecodeError as exc:
        print(f"avpe: that file is not valid JSON ({exc})", file=sys.stderr)
        return EXIT_USER_ERROR
    except _EXPECTED_ERRORS as exc:
        print(f"avpe: {SecretRedactor.redact(_one_line(exc))}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("avpe: stopped.", file=sys.stderr)
        return EXIT_INTERRUPTED


def _open_context() -> AppContext:
    with _suggest_restore():
        return AppContext.open()


@contextlib.contextmanager
def _suggest_restore() -> Iterator[None]:
    """A library that will not open may have backups: the message says how to restore."""
    try:
        yield
    except LibraryOpenError as exc:
        raise LibraryOpenError(
            f"{exc} `avpe library restore` puts back the newest good backup "
            "(`avpe library backups` lists them)."
        ) from exc


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="avpe", description="Character videos from an idea and an image."
    )
    parser.add_argument("--version", action="version", version=f"avpe {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    parser.add_argument(
        "--engine", choices=["auto", "local", "google"], help="override the engine in Settings"
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    character = commands.add_parser("character", help="the character library")
    character_commands = character.add_subparsers(title="character commands", metavar="ACTION")
    add = character_commands.add_parser("add", help="import a character from an image")
    add.add_argument("image", type=Path, help="PNG, JPEG or WebP file")
    add.add_argument("--name", help="character name (default: the file name)")
    add.add_argument("--creature-language", default=DEFAULT_CREATURE_LANGUAGE)
    add.add_argument("--no-analyse", action="store_true", help="skip filling in the details")
    add.set_defaults(handler=_character_add)
    listing = character_commands.add_parser("list", help="list characters")
    listing.add_argument("--search", default="")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_character_list)
    show = character_commands.add_parser("show", help="show one character's details")
    show.add_argument("character", help="name or id")
    show.set_defaults(handler=_character_show)
    remove = character_commands.add_parser("remove", help="delete a character")
    remove.add_argument("character", help="name or id")
    remove.add_argument("--yes", action="store_true", help="confirm the deletion")
    remove.set_defaults(handler=_character_remove)

    write = commands.add_parser("write", help="write a script (the seed's content JSON)")
    write.add_argument("idea")
    _brief_arguments(write)
    write.add_argument("-o", "--output", type=Path, help="write the JSON here (default: stdout)")
    write.set_defaults(handler=_write)

    render_cmd = commands.add_parser("render", help="render a script into videos")
    render_cmd.add_argument("content", type=Path, help="content JSON from `avpe write`")
    render_cmd.add_argument("--character", required=True, help="name or id")
    _render_arguments(render_cmd)
    render_cmd.set_defaults(handler=_render)

    _export_command(commands)

    jobs = commands.add_parser("jobs", help="the render queue (default: list jobs)")
    jobs.set_defaults(handler=_jobs_list, json=False)
    job_commands = jobs.add_subparsers(title="job commands", metavar="ACTION")
    jobs_list = job_commands.add_parser("list", help="list jobs, newest first")
    jobs_list.add_argument("--json", action="store_true")
    jobs_list.set_defaults(handler=_jobs_list)
    resume = job_commands.add_parser("resume", help="finish jobs a crash or Ctrl+C left open")
    resume.add_argument("--yes", action="store_true", help=PAY_AGAIN_HELP)
    resume.set_defaults(handler=_jobs_resume)
    cancel = job_commands.add_parser("cancel", help="stop a job; finished results are kept")
    cancel.add_argument("job", help="job id (or its first characters)")
    cancel.set_defaults(handler=_jobs_cancel)
    retry = job_commands.add_parser("retry", help="re-run a job's failed segments only")
    retry.add_argument("job", help="job id (or its first characters)")
    retry.add_argument("--budget", type=float, help="raise the job's budget cap (USD)")
    retry.add_argument("--yes", action="store_true", help=PAY_AGAIN_HELP)
    retry.set_defaults(handler=_jobs_retry)

    demo = commands.add_parser(
        "demo", help="write and render a video of the sample character, offline"
    )
    demo.add_argument("--idea", default=DEMO_IDEA)
    demo.add_argument("--segments", type=int, default=7)
    demo.add_argument("--seed", type=int, default=0)
    _render_arguments(demo)
    demo.set_defaults(handler=_demo)

    emulator = commands.add_parser(
        "emulator", help="serve the Google API emulator on 127.0.0.1 (demos without keys)"
    )
    emulator.add_argument("--port", type=int, default=8765)
    emulator.set_defaults(handler=_emulator)
    _library_and_upload_commands(commands)
    return parser


def _brief_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--character", required=True, help="name or id")
    parser.add_argument("--format", choices=[f.value for f in Format], default="daily_character")
    parser.add_argument("--segments", type=int, default=7, help="1 to 20 (default 7)")
    parser.add_argument("--dialogue", action="store_true", help="allow spoken lines")
    parser.add_argument("--creature-language", help="default: the character's own")
    parser.add_argument("--seed", type=int, default=0)


def _render_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--resolution", choices=[r.value for r in Resolution])
    parser.add_argument("--aspect-ratio", choices=[a.value for a in AspectRatio])
    parser.add_argument("--duration", type=int, choices=[4, 6, 8])
    parser.add_argument("--no-merge", action="store_true", help="keep the segments separate")
    parser.add_argument("--crossfade", type=float, help="seconds of crossfade between segments")
    parser.add_argument("--json", action="store_true", help="print the seed's result JSON")
    parser.add_argument(
        "--again",
        action="store_true",
        help="render even when the same script is already rendered with these settings",
    )


def _export_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = commands.add_parser(
        "export", help="export a rendered project in another aspect ratio or size"
    )
    export.add_argument("project", help="title or id")
    export.add_argument("--aspect-ratio", choices=[a.value for a in AspectRatio])
    export.add_argument(
        "--size",
        choices=["platform", "rendered"],
        default="platform",
        help="the platforms' size (1080×1920 for 9:16; default) or the render's own",
    )
    export.add_argument("--reframe", choices=["crop", "pad"], help="default: the project's")
    export.add_argument("--crossfade", type=float, help="default: the project's")
    export.add_argument(
        "-o", "--output", type=Path, help="a folder or a file (default: '<title> 9x16.mp4' here)"
    )
    export.add_argument(
        "--partial",
        action="store_true",
        help="export even though the last render missed segments (the file is named partial)",
    )
    export.set_defaults(handler=_export)


def _export(ctx: AppContext, args: argparse.Namespace) -> int:
    project = find_project(ctx.library, args.project)
    latest = next(iter(ctx.library.list_jobs(project_id=project.id)), None)
    partial = latest.result if latest and latest.status is JobStatus.PARTIAL else None
    if latest is not None and partial is not None and not args.partial:
        print(
            f"avpe: {partial_note(partial)} Retry the failed segments first "
            f"(avpe jobs retry {latest.id[:8]}), or add --partial to export it anyway.",
            file=sys.stderr,
        )
        return 1
    rendered = project.settings
    aspect = AspectRatio(args.aspect_ratio or rendered.aspect_ratio)
    destination = args.output or Path.cwd()
    if destination.is_dir() or not destination.suffix:
        destination = destination / export_file_name(project.title, aspect, partial)
    out = asyncio.run(
        export_video(
            project,
            ProjectLayout.from_relative(ctx.workspace, project.folder),
            destination,
            aspect,
            rendered.crossfade_seconds if args.crossfade is None else args.crossfade,
            args.reframe or rendered.reframe,
            args.size,
        )
    )
    print(out)
    return 0


def _emulator(_ctx: AppContext, args: argparse.Namespace) -> int:
    from avpe_desktop.testing.emulator import serve  # only this command needs the server

    print(f"Point the app at it with {BASE_URL_ENV}=http://127.0.0.1:{args.port}", flush=True)
    serve("127.0.0.1", args.port)
    return 0


# Library backends and Cloudinary uploads (issue #7) ----------------------------------------


def _library_and_upload_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    library = commands.add_parser("library", help="the library's storage (SQLite or MongoDB)")
    library_commands = library.add_subparsers(title="library commands", metavar="ACTION")
    copy = library_commands.add_parser(
        "copy", help="copy the whole library between this computer and MongoDB"
    )
    copy.add_argument(
        "--to", required=True, choices=["mongodb", "sqlite"], help="where the copy goes"
    )
    copy.set_defaults(handler=_library_copy)
    backup = library_commands.add_parser(
        "backup", help="back up the library on this computer now (kept with the daily ones)"
    )
    backup.set_defaults(handler=_library_backup, opens_library=False)
    backups = library_commands.add_parser(
        "backups", help="list the library's backups, newest first"
    )
    backups.set_defaults(handler=_library_backups, opens_library=False)
    restore = library_commands.add_parser(
        "restore", help="put a backup back in place of the library (the current one is kept)"
    )
    restore.add_argument("name", nargs="?", help="a backup's name (default: the newest good one)")
    restore.set_defaults(handler=_library_restore, opens_library=False)

    upload = commands.add_parser("upload", help="upload to Cloudinary (keys in Settings)")
    upload_commands = upload.add_subparsers(title="upload commands", metavar="WHAT")
    character = upload_commands.add_parser(
        "character", help="upload a character's image and keep its URL in the library"
    )
    character.add_argument("character", help="name or id")
    character.set_defaults(handler=_upload_character)
    video = upload_commands.add_parser("video", help="upload a video file")
    video.add_argument("path", type=Path)
    video.add_argument("--folder", default="avpe/exports", help="Cloudinary folder")
    video.set_defaults(handler=_upload_video)


def _library_copy(ctx: AppContext, args: argparse.Namespace) -> int:
    """Opens both backends explicitly: a copy must never fall back to the wrong target."""
    from avpe_desktop.config import LibraryBackend
    from avpe_desktop.storage.backends import copy_library, open_backend

    target = LibraryBackend(args.to)
    source = LibraryBackend.SQLITE if target is LibraryBackend.MONGODB else LibraryBackend.MONGODB
    src = open_backend(source, ctx.dirs)
    try:
        dst = open_backend(target, ctx.dirs)
        try:
            report = copy_library(src, dst)
        finally:
            dst.close()
    finally:
        src.close()
    print(f"Copied the {source} library to {target}: {report.summary()}.")
    return 0


def _library_backup(dirs: AppDirs, _args: argparse.Namespace) -> int:
    """Opens the SQLite file itself rather than the app context, so the start-up backup is
    not made as well, a second before this one."""
    with _suggest_restore():
        library = SqliteLibrary(dirs.library_db)
    with library:
        made = library.backup(BackupReason.MANUAL)
    print(f"Backed up the library to {made.path} (checked by SQLite).")
    return 0


def _library_backups(dirs: AppDirs, _args: argparse.Namespace) -> int:
    summaries = summarise_backups(dirs.library_db)
    if not summaries:
        print("No backups yet: one is made each day the app starts, `avpe library backup` now.")
    for summary in summaries:
        backup = summary.backup
        when = backup.local_time().strftime("%Y-%m-%d %H:%M")
        size, held = summary.size_text(), summary.contents()
        print(f"{when}  {backup.reason.value:<14} {size:>8}  {held:<26} {backup.name}")
    return 0


def _library_restore(dirs: AppDirs, args: argparse.Namespace) -> int:
    result = restore_library(dirs.library_db, args.name)
    print(result.describe())
    for line in missing_after_restore(dirs):
        print(f"  {line}")
    return 0


def _upload_character(ctx: AppContext, args: argparse.Namespace) -> int:
    character = find_character(ctx.library, args.character)
    uploader = CloudinaryUploader(CloudinaryAccount.from_secrets())
    print(upload_character(ctx.library, ctx.dirs.data, character, uploader).cloud_url)
    return 0


def _upload_video(_ctx: AppContext, args: argparse.Namespace) -> int:
    uploader = CloudinaryUploader(CloudinaryAccount.from_secrets())
    print(uploader.upload_video(args.path, folder=args.folder).secure_url)
    return 0


def _character_add(ctx: AppContext, args: argparse.Namespace) -> int:
    name = args.name or args.image.stem
    character = import_character(ctx.library, ctx.dirs.data, args.image, name)
    if args.creature_language != character.details.creature_language:
        details = character.details.model_copy(update={"creature_language": args.creature_language})
        character = character.model_copy(update={"details": details})
        ctx.library.update_character(character)
    if not args.no_analyse:
        engine = _engine(ctx, args)
        character = asyncio.run(
            analyse_character(ctx.library, ctx.dirs.data, character, engine.analyst)
        )
    print(f"Added {character.name} ({character.width}×{character.height}, id {character.id})")
    details = character.details
    if details.video_prompt_description:
        print(f"  {details.video_prompt_description}")
    for line in appearance_lines(details.physical_appearance):
        print(f"  {line}")
    if details.personality:
        print(f"  Personality: {details.personality}")
    return 0


def _character_list(ctx: AppContext, args: argparse.Namespace) -> int:
    characters = ctx.library.list_characters(args.search)
    if args.json:
        print(json.dumps([c.model_dump(mode="json") for c in characters], indent=2))
        return 0
    if not characters:
        print("No characters yet. Add one with: avpe character add IMAGE --name NAME")
    for character in characters:
        print(f"{character.name:<24} {character.width}×{character.height:<6} {character.id}")
    return 0


def _character_show(ctx: AppContext, args: argparse.Namespace) -> int:
    character = find_character(ctx.library, args.character)
    print(character.model_dump_json(indent=2))
    return 0


def _character_remove(ctx: AppContext, args: argparse.Namespace) -> int:
    character = find_character(ctx.library, args.character)
    if not args.yes:
        print(f"This deletes {character.name} from the library; add --yes to confirm.")
        return EXIT_USER_ERROR
    remove_character(ctx.library, ctx.dirs.data, character)
    print(f"Deleted {character.name}.")
    return 0


def _write(ctx: AppContext, args: argparse.Namespace) -> int:
    character = find_character(ctx.library, args.character)
    brief = _brief(args, character, args.idea)
    content = asyncio.run(write_script(_engine(ctx, args).writer, brief, character.details))
    text = content.to_seed_json()
    if args.output:
        args.output.write_text(text + "\n", encoding="utf-8")
        print(f"Wrote '{content.title}' ({len(content.segments)} segments) to {args.output}")
    else:
        print(text)
    return 0


def _render(ctx: AppContext, args: argparse.Namespace) -> int:
    character = find_character(ctx.library, args.character)
    content = read_script_file(args.content)
    return _render_content(ctx, args, _engine(ctx, args), character, content, brief=None)


def _demo(ctx: AppContext, args: argparse.Namespace) -> int:
    """The README's main job: the sample character, a script and a merged video, offline
    unless Google credentials are configured."""
    engine = _engine(ctx, args)
    character = _sample_character(ctx, engine)
    args.format, args.dialogue, args.creature_language = "daily_character", False, None
    brief = _brief(args, character, args.idea)
    content = asyncio.run(write_script(engine.writer, brief, character.details))
    print(
        f"Wrote '{content.title}' ({len(content.segments)} segments) with the {engine.name} engine",
        file=sys.stderr,
    )
    return _render_content(ctx, args, engine, character, content, brief)


def _sample_character(ctx: AppContext, engine: Engine) -> Character:
    try:
        return find_character(ctx.library, DEMO_CHARACTER)
    except CharacterError:
        sample = resources.files("avpe_desktop") / "resources" / "characters" / "floof.png"
        with resources.as_file(sample) as path:
            character = import_character(ctx.library, ctx.dirs.data, path, DEMO_CHARACTER)
        return asyncio.run(analyse_character(ctx.library, ctx.dirs.data, character, engine.analyst))


def _render_content(
    ctx: AppContext,
    args: argparse.Namespace,
    engine: Engine,
    character: Character,
    content: Content,
    brief: Brief | None,
) -> int:
    settings = _render_settings(ctx, args)
    printer = _ProgressPrinter(sys.stderr)
    queue = _queue(ctx, args, printer, engine)
    wanted = Project(
        title=content.title, folder="", character_id=character.id, brief=brief, content=content
    )
    rendered = None if args.again else queue.already_rendered(wanted, settings)
    if rendered is not None:
        print(
            f"avpe: '{content.title}' is already rendered exactly like this (job "
            f"{rendered.id[:8]}, {rendered.created_at.astimezone():%Y-%m-%d %H:%M}); nothing "
            "was rendered. Add --again to render it once more.",
            file=sys.stderr,
        )
        return _report_job(ctx, args, rendered)
    project, _layout = create_project(
        ctx.library, ctx.workspace, content, settings, character.id, brief
    )
    job = queue.submit(project, settings)
    if job.cost_estimate_usd:
        print(f"Estimated cost: ${job.cost_estimate_usd:.2f}", file=sys.stderr)
    job = _run_queue(queue, queue.run(job.id))
    printer.close()
    return _report_job(ctx, args, job)


def _run_queue(queue: RenderQueue, work: Coroutine[Any, Any, T]) -> T:
    """Runs queue work with a gentle Ctrl-C: the first one pauses the render at its next paid
    call or poll, so a call already paid for (a clip's operation, a keyframe) is recorded
    and `avpe jobs resume` goes on without paying twice; a second one stops at once.
    Windows' event loops take no signal handlers, so there Ctrl-C stops at once."""

    async def run() -> T:
        task = asyncio.current_task()
        assert task is not None

        def interrupt() -> None:
            if queue.interrupted:
                task.cancel()
                return
            queue.interrupt()
            print(
                "\navpe: pausing after the call in progress (Ctrl-C again to stop at once)",
                file=sys.stderr,
            )

        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signal.SIGINT, interrupt)
        try:
            return await work
        except asyncio.CancelledError:
            raise KeyboardInterrupt from None
        finally:
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(signal.SIGINT)

    return asyncio.run(run())


def _report_job(ctx: AppContext, args: argparse.Namespace, job: Job) -> int:
    result = job.result
    if getattr(args, "json", False) and result is not None:
        print(result.to_json())
    elif result is not None:
        layout = ProjectLayout.from_relative(
            ctx.workspace, ctx.library.get_project(job.project_id).folder
        )
        _print_result_summary(layout, result)
    if job.status is JobStatus.PARTIAL and result is not None and result.errors:
        print(
            f"avpe: job {job.id[:8]}: {job.error} `avpe jobs retry {job.id[:8]}` renders "
            f"{segments_text(result.failed_segments)} again, reusing everything else.",
            file=sys.stderr,
        )
    elif job.error:
        print(f"avpe: job {job.id[:8]} {job.status.value}: {job.error}", file=sys.stderr)
    if job.status is JobStatus.QUEUED:
        print(
            f"avpe: job {job.id[:8]} paused; `avpe jobs resume` finishes it, reusing what is done.",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    return 0 if job.status is JobStatus.DONE else EXIT_USER_ERROR


def _queue(
    ctx: AppContext,
    args: argparse.Namespace,
    printer: _ProgressPrinter,
    engine: Engine | None = None,
) -> RenderQueue:
    """Jobs run on the engine they were submitted with; `engine`, when given, serves as the
    default (it is already built)."""

    def engines(name: str | None) -> Engine:
        if engine is not None and name in (None, engine.name):
            return engine
        return create_engine(ctx.settings, name or args.engine)

    return RenderQueue(ctx.library, ctx.workspace, ctx.dirs.data, engines, printer)


def _find_job(ctx: AppContext, ref: str) -> Job:
    matches = [job for job in ctx.library.list_jobs() if job.id.startswith(ref.strip())]
    if len(matches) != 1:
        problem = "No job" if not matches else f"{len(matches)} jobs"
        raise ValueError(f"{problem} with an id starting '{ref}'; see `avpe jobs`.")
    return matches[0]


def _jobs_list(ctx: AppContext, args: argparse.Namespace) -> int:
    jobs = ctx.library.list_jobs()
    if args.json:
        print(json.dumps([job.model_dump(mode="json") for job in jobs], indent=2))
        return 0
    if not jobs:
        print("No render jobs yet. Start one with: avpe render CONTENT.json --character NAME")
    for job in jobs:
        steps = ctx.library.list_steps(job.id)
        videos = [s for s in steps if s.kind is StepKind.VIDEO]
        done = sum(1 for s in videos if s.status is StepStatus.DONE)
        segments = len(job.extra.get("content", {}).get("segments", [])) or len(videos)
        spent = sum(s.cost_usd for s in steps)
        print(
            f"{job.id[:8]}  {job.status.value:<9} {done}/{segments} clips  "
            f"${spent:.2f} of ~${job.cost_estimate_usd:.2f}  {job.engine:<6} "
            f"{job.created_at:%Y-%m-%d %H:%M}  {job.extra.get('title', '')}"
        )
        if job.error:
            print(f"          {job.error}")
    return 0


def _jobs_resume(ctx: AppContext, args: argparse.Namespace) -> int:
    printer = _ProgressPrinter(sys.stderr)
    queue = _queue(ctx, args, printer)
    if not _agreed_to_redo(queue, ctx.library.list_jobs(UNFINISHED), args.yes):
        return EXIT_USER_ERROR
    jobs = _run_queue(queue, queue.resume_unfinished())
    printer.close()
    if not jobs:
        print("No unfinished jobs.")
    codes = [_report_job(ctx, args, job) for job in jobs]
    return max(codes, default=0)


def _jobs_cancel(ctx: AppContext, args: argparse.Namespace) -> int:
    job = _queue(ctx, args, _ProgressPrinter(sys.stderr)).cancel(_find_job(ctx, args.job).id)
    print(f"Job {job.id[:8]} is {job.status.value}; finished results were kept.")
    return 0


def _jobs_retry(ctx: AppContext, args: argparse.Namespace) -> int:
    job = _find_job(ctx, args.job)
    if args.budget is not None:
        settings = job.settings.model_copy(update={"budget_usd": args.budget})
        ctx.library.save_job(job.model_copy(update={"settings": settings}))
    printer = _ProgressPrinter(sys.stderr)
    queue = _queue(ctx, args, printer)
    if not _agreed_to_redo(queue, [job], args.yes):
        return EXIT_USER_ERROR
    retried = failed_steps(ctx.library.list_steps(job.id))
    if retried:
        print(
            f"Retrying {segments_text(retried)} of '{job.extra.get('title', '')}'; everything "
            "else is reused.",
            file=sys.stderr,
        )
    job = _run_queue(queue, queue.retry_failed(job.id))
    printer.close()
    for line in retry_report(retried, job):
        print(line)
    return _report_job(ctx, args, job)


def _agreed_to_redo(queue: RenderQueue, jobs: list[Job], yes: bool) -> bool:
    """Says what the jobs will make again because its files are gone (a project folder
    deleted or cleared) and what that costs; paying for it again needs --yes, as deleting
    does. A job that cannot run at all fails with the reason when it is run."""
    paid = False
    for job in jobs:
        try:
            plan = queue.redo_plan(job.id)
        except QueueError:
            continue
        if plan.anything:
            print("\n".join(["Files of this job are gone:", *plan.describe()]), file=sys.stderr)
            paid = paid or plan.needs_consent
    if paid and not yes:
        print(
            "avpe: nothing was paid; add --yes to make them again at that cost (the job's "
            "budget cap still applies).",
            file=sys.stderr,
        )
        return False
    return True


def _print_result_summary(layout: ProjectLayout, result: RenderResult) -> None:
    print(f"{result.success_count} of {result.total_segments} segments rendered in {layout.root}")
    for number, message in sorted(result.errors.items()):
        print(f"  segment {number} failed: {message}")
    merged = result.merged_video
    if merged is not None and merged.path and merged.partial:
        print(f"Partial video, without {segments_text(result.failed_segments)}: {merged.path}")
    elif merged is not None and merged.path:
        print(merged.path)


def _brief(args: argparse.Namespace, character: Character, idea: str) -> Brief:
    return Brief(
        idea=idea,
        character_name=character.name,
        creature_language=args.creature_language or character.details.creature_language,
        num_segments=args.segments,
        allow_dialogue=args.dialogue,
        format=args.format,
        seed=args.seed,
    )


def _render_settings(ctx: AppContext, args: argparse.Namespace) -> RenderSettings:
    update = {
        key: value
        for key, value in {
            "resolution": args.resolution,
            "aspect_ratio": args.aspect_ratio,
            "duration": args.duration,
            "crossfade_seconds": args.crossfade,
        }.items()
        if value is not None
    }
    if args.no_merge:
        update["auto_merge"] = False
    return RenderSettings.model_validate({**ctx.settings.render.model_dump(), **update})


def _engine(ctx: AppContext, args: argparse.Namespace) -> Engine:
    return create_engine(ctx.settings, args.engine)


class _ProgressPrinter:
    """A job bar plus one mark per segment (· waiting, ◐ keyframes painted, ● clip ready,
    ✗ failed), rewritten in place on a terminal; plain lines when piped, one per change of a
    segment's message (clips polled side by side would otherwise fill a log), so logs stay
    readable."""

    WIDTH = 28
    _MARKS: ClassVar[dict[Stage, str]] = {Stage.KEYFRAME: "◐", Stage.VIDEO: "●"}

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.live = stream.isatty()
        self.segments: dict[int, str] = {}
        self.said: dict[int | None, str] = {}  # the last message printed per segment

    def __call__(self, event: ProgressEvent) -> None:
        if event.segment is not None:
            mark = "✗" if event.failed else self._MARKS.get(event.stage)
            if mark and (event.step_fraction is None or event.failed):
                self.segments[event.segment] = mark
        if not self.live and self.said.get(event.segment) == event.message:
            return
        self.said[event.segment] = event.message
        filled = round(event.fraction * self.WIDTH)
        bar = "█" * filled + "·" * (self.WIDTH - filled)
        count = max(self.segments, default=0)
        marks = "".join(self.segments.get(i, "·") for i in range(1, count + 1))
        eta = f" · about {event.eta_seconds:.0f} s left" if event.eta_seconds else ""
        cost = f" · ${event.cost_spent_usd:.2f}" if event.cost_spent_usd else ""
        line = f"[{bar}] {event.fraction:4.0%} {marks} {event.message}{eta}{cost}"
        if self.live:
            self.stream.write("\r\033[K" + line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.live:
            self.stream.write("\n")


def _configure_logging(verbose: bool) -> None:
    """Warnings (everything with --verbose) on stderr, one line each unless --verbose; the
    log file gets INFO and up with tracebacks, like the desktop app's."""
    handler = _Console(sys.stderr)
    handler.setLevel(logging.INFO if verbose else logging.WARNING)
    console = logging.Formatter if verbose else _OneLineFormatter
    handler.setFormatter(console("%(levelname)s %(name)s: %(message)s"))
    install_handler(handler)
    configure_logging(app_dirs().logs)


class _Console(logging.StreamHandler[TextIO]):
    """The CLI's stderr handler, replaced (not doubled) when `main` runs again."""


class _OneLineFormatter(logging.Formatter):
    """A record's first line: its traceback (a render worker's arrives inside the message)
    is for the log file, not for a creator's terminal."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).split("\n", 1)[0]


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        problems = [
            f"{'.'.join(str(p) for p in error['loc']) or 'value'}: {error['msg']}"
            for error in exc.errors()
        ]
        return f"invalid {exc.title}: " + "; ".join(problems)
    if isinstance(exc, OSError):
        return describe_os_error(exc)
    return str(exc) or type(exc).__name__


if __name__ == "__main__":
    sys.exit(main())
