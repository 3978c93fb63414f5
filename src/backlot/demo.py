"""The composition root of `backlot demo`: a demo company with data in every app, so a
newcomer has something to try on each page. Everything is looked up by a stable name or
email before it is made, so a second run adds nothing; rows go through the apps'
services and bytes into the object store as real uploads do."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from starlette.datastructures import UploadFile

from backlot.accounts import service as accounts_service
from backlot.accounts.models import PlanType, Role, User
from backlot.accounts.passwords import check_password_strength
from backlot.accounts.principal import Principal
from backlot.app import build_state, closing
from backlot.core.background import shut_down
from backlot.core.clock import Clock, SystemClock
from backlot.core.db import unit_of_work
from backlot.core.locks import build_lock_store
from backlot.core.security import hash_password
from backlot.core.settings import Settings
from backlot.core.sniff import IMAGE_TYPES, VIDEO_TYPES
from backlot.core.state import AppState
from backlot.core.uploads import store_upload
from backlot.demo_data.media import colour_bars, recording, shape_image
from backlot.dubbing import service as dubbing_service
from backlot.dubbing.models import Script, ScriptKind
from backlot.dubbing.popular import forget_popular
from backlot.dubbing.recordings import replace_reference
from backlot.labeling import service as labeling_service
from backlot.labeling.models import LabelingProject
from backlot.videos import service as videos_service
from backlot.videos.models import Video
from backlot.videos.probe import check_playable
from backlot.workspace import service as workspace_service
from backlot.workspace.commits import Author, CommitTurns, apply_commit
from backlot.workspace.models import Visibility

# Documented in the README: demo accounts are for trying Backlot, not for real data.
DEMO_PASSWORD = "backlot-demo-2026"  # noqa: S105 - public on purpose
CORPORATION = "Backlot Demo"
PAID_FOR = timedelta(days=365)
PEOPLE = (
    ("demo-admin@example.com", "Demo Admin", Role.admin),
    ("demo-mina@example.com", "Mina Park", Role.guest),
    ("demo-jun@example.com", "Jun Kim", Role.guest),
)
PROJECT = "Demo shapes"
IMAGES = 12
VIDEO = "Demo colour bars"
ROOM_ID = "backlot-demo"
SCRIPT = "Demo: one line, two voices"
FOX = "The quick brown fox jumps over the lazy dog near the river bank."
SHELLS = "She sells sea shells by the sea shore every summer morning."
# (actor, text, reference audio in demo_data/): espeak-ng voices, see demo_data/media.py.
LINES = (
    ("Low voice", FOX, "line_low.ogg"),
    ("High voice", FOX, "line_high.ogg"),
    ("Low voice", SHELLS, "other_low.ogg"),
)
# Repeat three times: print a greeting; blocks of the workspace page's toolbox.
PROGRAM = (
    '<xml xmlns="https://developers.google.com/blockly/xml">'
    '<block type="controls_repeat_ext" id="demo-repeat" x="40" y="40">'
    '<value name="TIMES"><block type="math_number" id="demo-times">'
    '<field name="NUM">3</field></block></value>'
    '<statement name="DO"><block type="text_print" id="demo-print">'
    '<value name="TEXT"><block type="text" id="demo-text">'
    '<field name="TEXT">Hello from the Backlot demo!</field></block></value>'
    "</block></statement></block></xml>"
)


class DemoError(ValueError):
    """The demo's names are taken by something that is not the demo's."""


@dataclass(frozen=True)
class DemoAccount:
    email: str
    display_name: str
    role: str
    password: str | None  # None: the account existed, its password was left alone


@dataclass(frozen=True)
class DemoReport:
    corporation_id: int
    accounts: list[DemoAccount]
    project_id: int
    video_id: int
    room_id: str
    script_id: int

    def summary(self, base_url: str) -> str:
        """What to tell the person who ran it: the accounts, and where each app's data is."""
        base = base_url.rstrip("/")
        people = [
            f"  {a.role:<6} {a.email:<24} "
            + (f"password: {a.password}" if a.password else "(made before: password as then)")
            for a in self.accounts
        ]
        places = [
            ("/app/labeling", f"project {PROJECT!r}: {IMAGES} images to label"),
            ("/app/videos", f"{VIDEO!r}: a few seconds of H.264"),
            (f"/app/workspace/{self.room_id}", "a room with a small block program"),
            ("/app/dubbing", f"script {SCRIPT!r}: lines with reference audio"),
            ("/docs", "the API"),
        ]
        width = max(len(base + path) for path, _ in places)
        return "\n".join(
            [
                f"Demo data ready: corporation {CORPORATION!r} (paid plan).",
                "Sign in with:",
                *people,
                "Then open:",
                *(f"  {base + path:<{width}}  {what}" for path, what in places),
            ]
        )


async def fill_demo(
    settings: Settings, *, password: str = DEMO_PASSWORD, clock: Clock | None = None
) -> DemoReport:
    """Find or create the demo company and its data in every app (the schema must be
    migrated). Raises DemoError, or the services' ProblemError, on refusal."""
    state = await build_state(settings, clock or SystemClock())
    try:
        admin, accounts = await _accounts(state, password)
        return DemoReport(
            corporation_id=_corporation_of(admin),
            accounts=accounts,
            project_id=await _project(state, admin),
            video_id=await _video(state, admin),
            room_id=await _room(state, admin),
            script_id=await _script(state, admin),
        )
    finally:
        await shut_down(*closing(state))


def _corporation_of(user: Principal | User) -> int:
    assert user.corporation_id is not None  # the demo's people all have one
    return user.corporation_id


async def _accounts(state: AppState, password: str) -> tuple[Principal, list[DemoAccount]]:
    async with unit_of_work(state.sessionmaker) as session:
        admin = await accounts_service.find_user_by_email(session, PEOPLE[0][0])
        if admin is None:
            corporation = await accounts_service.add_corporation(
                session,
                name=CORPORATION,
                plan_type=PlanType.paid,
                plan_expired_at=state.clock.now() + PAID_FOR,
            )
            corporation_id = corporation.id
        elif admin.corporation_id is None:
            raise DemoError(f"{admin.email} exists outside any corporation.")
        else:
            corporation_id = admin.corporation_id
        accounts, users = [], []
        for email, display_name, role in PEOPLE:
            user = await accounts_service.find_user_by_email(session, email)
            made = user is None
            if user is None:
                await check_password_strength(password, email=email, display_name=display_name)
                # Verified: demo accounts are made at the server's console, to use at once.
                user = await accounts_service.add_user(
                    session,
                    email=email,
                    password_hash=await hash_password(password),
                    display_name=display_name,
                    role=role,
                    corporation_id=corporation_id,
                    email_verified=True,
                )
            elif user.corporation_id != corporation_id:
                raise DemoError(f"{email} exists in another corporation.")
            users.append(user)
            accounts.append(DemoAccount(email, display_name, role, password if made else None))
    return Principal.of(users[0]), accounts


def _upload(name: str, data: bytes) -> UploadFile:
    return UploadFile(io.BytesIO(data), size=len(data), filename=name)


async def _project(state: AppState, admin: Principal) -> int:
    async with unit_of_work(state.sessionmaker) as session:
        project = await session.scalar(
            select(LabelingProject).where(
                LabelingProject.corporation_id == admin.corporation_id,
                LabelingProject.name == PROJECT,
            )
        )
        if project is None:
            project = await labeling_service.create_project(session, requester=admin, name=PROJECT)
        present, _ = await labeling_service.list_files(
            session, project=project, limit=1000, offset=0
        )
    names = {file.name for file in present}
    for name, data in map(shape_image, range(IMAGES)):
        if name in names:
            continue
        content = await store_upload(
            state.storage,
            labeling_service.new_object_key(project.id),
            _upload(name, data),
            allowed=IMAGE_TYPES,
            max_bytes=state.settings.labeling_max_image_bytes,
        )
        async with unit_of_work(state.sessionmaker) as session:
            await labeling_service.add_uploaded_file(
                session, state.storage, project_id=project.id, name=name, content=content
            )
    return project.id


async def _video(state: AppState, admin: Principal) -> int:
    async with unit_of_work(state.sessionmaker) as session:
        found = await session.scalar(
            select(Video.id).where(
                Video.corporation_id == admin.corporation_id,
                Video.name == VIDEO,
                Video.deleted_at.is_(None),
            )
        )
    if found is not None:
        return found
    data = colour_bars()
    await check_playable(io.BytesIO(data))  # judged as an upload is, before it is stored
    content = await store_upload(
        state.storage,
        videos_service.new_object_key(_corporation_of(admin)),
        _upload("colour-bars.mp4", data),
        allowed=VIDEO_TYPES,
        max_bytes=state.settings.video_max_upload_bytes,
    )
    async with unit_of_work(state.sessionmaker) as session:
        video = await videos_service.add_uploaded(
            session, state.storage, requester=admin, name=VIDEO, content=content
        )
    return video.id


async def _room(state: AppState, admin: Principal) -> str:
    settings = state.settings
    async with unit_of_work(state.sessionmaker) as session:
        room = await workspace_service.find_room(session, ROOM_ID)
        if room is None:
            room = await workspace_service.create_room(
                session,
                admin,
                room_id=ROOM_ID,
                title="Demo: a first program",
                max_users=settings.workspace_default_max_users,
                visibility=Visibility.members,
                anonymous_edit=False,
                max_rooms=settings.workspace_max_rooms_per_user,
            )
        elif room.corporation_id != admin.corporation_id:
            raise DemoError(f"The workspace room {ROOM_ID!r} belongs to someone else.")
        started = await workspace_service.latest_snapshot(session, room.id) is not None
    if not started:
        # The running servers' commit turns (their keyspace), so versions stay in order.
        leases = build_lock_store(
            state.redis, state.clock, prefix=f"{settings.redis_prefix}workspace-turn:"
        )
        try:
            await apply_commit(
                state,
                CommitTurns(leases),
                room_id=ROOM_ID,
                room_pk=room.id,
                author=Author(client_id=None, nickname=admin.display_name, user_id=admin.id),
                block_id=None,
                events=[],
                xml=PROGRAM,
            )
        finally:
            await leases.close()
    return ROOM_ID


async def _script(state: AppState, admin: Principal) -> int:
    async with unit_of_work(state.sessionmaker) as session:
        script = await session.scalar(
            select(Script).where(
                Script.corporation_id == admin.corporation_id, Script.title == SCRIPT
            )
        )
        if script is None:
            script = await dubbing_service.create_script(
                session,
                requester=admin,
                title=SCRIPT,
                kind=ScriptKind.movie.value,
                description="Say the line as each voice does; compare your pitch with theirs.",
            )
            forget_popular(session, state=state, corporation_id=script.corporation_id)
        actors = {
            a.name: a.id for a in await dubbing_service.script_actors(session, script_id=script.id)
        }
        for name, _, _ in LINES:
            if name not in actors:
                actors[name] = (
                    await dubbing_service.add_actor(session, script=script, name=name)
                ).id
        lines, _ = await dubbing_service.script_lines(
            session, script_id=script.id, limit=1000, offset=0
        )
        by_order = {line.order: line for line in lines}
        silent = []
        for order, (actor, text, audio) in enumerate(LINES):
            line = by_order.get(order) or await dubbing_service.add_line(
                session,
                script=script,
                text=text,
                actor_id=actors[actor],
                order=order,
                start_time=None,
                end_time=None,
            )
            if line.audio_key is None:
                silent.append((line.id, audio))
    for line_id, audio in silent:
        upload = _upload(audio, recording(audio))
        await replace_reference(state, user=admin, line_id=line_id, upload=upload)
    return script.id
