"""One citizen turn as a pipeline of named stages (run in order by `bot.frontdesk`):

redact → language → municipality → understand → decide → (llm: reword) → act → record.

Each stage is a module with typed input and output. Deciding returns a `Decision` and
never changes the conversation's state; `apply` is the one place that does.
"""
