/*
 * The reference deploy/bench measures batchd's per-request cost against: the least a
 * FastCGI responder behind nginx can do for a cached status document. Each of N
 * threads accepts requests with libfcgi, reads one Redis key with hiredis (GET over a
 * unix socket, one context per thread) and writes the value as a JSON answer; no key
 * check, no rate limit, no routing. Built by deploy/bench with the system's cc.
 *
 *   status-responder SOCKET REDIS_SOCKET KEY THREADS
 */
#include <fcgiapp.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int listen_fd;
static const char *redis_path;
static const char *key;

static void *serve(void *unused) {
    (void)unused;
    FCGX_Request request;
    FCGX_InitRequest(&request, listen_fd, 0);
    redisContext *redis = redisConnectUnix(redis_path);
    static const char head[] = "Status: 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n\r\n";
    static const char missing[] = "Status: 503 Service Unavailable\r\nContent-Type: application/json\r\n\r\n{\"error\":\"redis\"}";
    const char *argv[2] = {"GET", key};
    while (FCGX_Accept_r(&request) >= 0) {
        redisReply *reply = redis && !redis->err ? redisCommandArgv(redis, 2, argv, NULL) : NULL;
        if (reply && reply->type == REDIS_REPLY_STRING) {
            FCGX_PutStr(head, sizeof head - 1, request.out);
            FCGX_PutStr(reply->str, (int)reply->len, request.out);
        } else {
            FCGX_PutStr(missing, sizeof missing - 1, request.out);
            if (!reply) {  /* a context with an error is unusable: connect again */
                if (redis) redisFree(redis);
                redis = redisConnectUnix(redis_path);
            }
        }
        if (reply) freeReplyObject(reply);
        FCGX_Finish_r(&request);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s SOCKET REDIS_SOCKET KEY THREADS\n", argv[0]);
        return 2;
    }
    redis_path = argv[2];
    key = argv[3];
    int threads = atoi(argv[4]);
    FCGX_Init();
    unlink(argv[1]);
    listen_fd = FCGX_OpenSocket(argv[1], 1024);
    if (listen_fd < 0) {
        perror("FCGX_OpenSocket");
        return 1;
    }
    chmod(argv[1], 0666);
    pthread_t *pool = calloc((size_t)threads, sizeof *pool);
    for (int i = 0; i < threads; i++) pthread_create(&pool[i], NULL, serve, NULL);
    for (int i = 0; i < threads; i++) pthread_join(pool[i], NULL);
    return 0;
}
