FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_VAR_DIR=/var/lib/community-access
RUN apt-get update && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/* && useradd --system --create-home app
WORKDIR /app
# The locked packages first (each checked against its hash; a layer that changes only with the lock), then the project
# itself with the locked setuptools and no dependency resolution.
COPY requirements/prod.lock requirements/
RUN pip install --no-cache-dir --require-hashes -r requirements/prod.lock
COPY . .
RUN pip install --no-cache-dir --no-deps --no-build-isolation . \
    && DJANGO_SECRET_KEY=build-only DJANGO_ALLOWED_HOSTS=build python manage.py compilemessages --ignore=.venv -v0 \
    && DJANGO_SECRET_KEY=build-only DJANGO_ALLOWED_HOSTS=build python manage.py collectstatic --noinput -v0 \
    && mkdir -p /var/lib/community-access/media && chown -R app /var/lib/community-access
USER app
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
