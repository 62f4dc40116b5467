# The gateway image: the same code as the embedded default; scale-out is configuration.
FROM python:3.11-slim-bookworm
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends espeak-ng sox \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml requirements.lock README.md ./
# The packages, floor by floor (README, "Architecture").
COPY ddh ddh
COPY store store
COPY knowledge knowledge
COPY handoff handoff
COPY bot bot
COPY gateway gateway
COPY evals evals
COPY cli cli
RUN pip install --no-cache-dir -c requirements.lock ".[parquet]"
ENV OPENBLAS_NUM_THREADS=1 DDH_HOST=0.0.0.0 DDH_DATA_DIR=/data
VOLUME /data
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["ddh", "serve"]
