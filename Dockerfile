# syntax=docker/dockerfile:1
FROM python:3.11-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir build babel
COPY . .
# Catalogs are compiled into the wheel, so the running image never writes to its own files.
RUN pybabel compile -d locales --statistics && python -m build --wheel --outdir /dist

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
# The summary's chart labels Chinese readers' charts in Noto Sans CJK.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-noto-cjk && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 tierbot
COPY --from=build /dist/*.whl /tmp/
RUN pip install --no-cache-dir /tmp/*.whl && rm /tmp/*.whl
USER tierbot
WORKDIR /home/tierbot
# matplotlib's font cache, built once here rather than by the first chart.
RUN python -c "import matplotlib.font_manager"
# The SQLite default lives in ./var/; mount a volume there, or set TIERBOT_DATABASE_URL to PostgreSQL.
VOLUME ["/home/tierbot/var"]
ENTRYPOINT ["tierbot"]
CMD ["run"]
