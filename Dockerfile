# lamportkv replica image. One container runs one replica:
#   docker run -e REPLICA_ID=1 ... lamportkv      or      docker run ... lamportkv 1
# docker-compose.yml starts three of them; see the README ("Docker").
#
# Two ways to get the jar, as two targets:
#   (default, the last stage)  built inside, from pom.xml and src/, on BUILD_IMAGE (Maven, JDK 17)
#   --target packaged           the target/lamportkv.jar that `mvn package` made on this host
# Both run on RUNTIME_IMAGE, any image with a Java 17 runtime, bash, useradd and java on PATH.
# Without Docker Hub, make one from Debian's packages: deploy/docker/base-image.sh, then
#   docker build --build-arg RUNTIME_IMAGE=lamportkv-base:bookworm --target packaged -t lamportkv .
ARG BUILD_IMAGE=maven:3-eclipse-temurin-17
ARG RUNTIME_IMAGE=eclipse-temurin:17-jre

# ---- runtime: a JRE, a non-root user and the project's own launch scripts ------------------------
FROM ${RUNTIME_IMAGE} AS runtime
RUN groupadd --system --gid 10001 lamportkv \
    && useradd --system --uid 10001 --gid lamportkv --home-dir /var/lib/lamportkv --shell /usr/sbin/nologin lamportkv \
    && mkdir -p /var/lib/lamportkv/data /var/lib/lamportkv/secret /opt/lamportkv/target \
    && chown -R lamportkv:lamportkv /var/lib/lamportkv \
    && chmod 700 /var/lib/lamportkv/secret
# The scripts expect the jar at target/lamportkv.jar beside them and, without --config, read
# replicas.properties beside them: here the compose configuration (docker-compose.yml mounts it).
COPY run-replica.sh run-client.sh deploy/docker/entrypoint.sh /opt/lamportkv/
COPY deploy/docker/replicas.properties /opt/lamportkv/replicas.properties
RUN chmod 755 /opt/lamportkv/*.sh && chmod 644 /opt/lamportkv/replicas.properties
ENV PATH="/opt/lamportkv:${PATH}"

USER lamportkv
WORKDIR /var/lib/lamportkv
# Replica <id> keeps its log and snapshots in data/replica-<id>: mount a named volume here.
# (A new named volume takes this directory's owner, so the non-root user can write to it.)
VOLUME ["/var/lib/lamportkv/data"]
# 7101: RMI (registry and both services); 8081-8083: dashboards (http.<id> in the configuration).
EXPOSE 7101 8081 8082 8083
# Java is PID 1 (the scripts exec it): SIGTERM from `docker stop` stops the replica cleanly.
ENTRYPOINT ["/opt/lamportkv/entrypoint.sh"]

# ---- packaged: the jar `mvn package` made here (needs nothing but RUNTIME_IMAGE) -----------------
# Placed before the build stage: a builder without BuildKit builds every stage up to its target.
FROM runtime AS packaged
COPY target/lamportkv.jar /opt/lamportkv/target/lamportkv.jar

# ---- build: the same jar, made inside ------------------------------------------------------------
FROM ${BUILD_IMAGE} AS build
WORKDIR /src
# Dependencies first, in their own layer: a source change does not download them again.
COPY pom.xml .
RUN mvn -B -q dependency:go-offline
COPY src ./src
RUN mvn -B -q -DskipTests package

# ---- built (the default): the runtime with the jar from the build stage --------------------------
FROM runtime AS built
COPY --from=build /src/target/lamportkv.jar /opt/lamportkv/target/lamportkv.jar
