/* The ZooKeeper C client (Debian's libzookeeper-mt, synchronous API) against a
 * running Warden ensemble: sessions and a watcher, ephemeral sequential
 * creates, reads and versioned writes, exists watches, children, a multi with
 * a failing op, deletes, and digest ACLs with zoo_add_auth. Prints one line
 * per check and exits non-zero at the first unexpected result.
 *
 * Usage: c_client HOST:PORT[,HOST:PORT...] [BASE_PATH]
 * Run by c_client_test.py, which starts the ensemble. */

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The synchronous API is declared for the multi-threaded library only. */
#ifndef THREADED
#define THREADED
#endif
#include <zookeeper/zookeeper.h>

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;

/* What the watcher of each handle has seen, guarded by `mutex`. */
struct watched {
    int connected;
    int node_events;
    int last_type;
    char last_path[512];
};

static void fail(const char *format, ...) {
    va_list args;
    va_start(args, format);
    fprintf(stdout, "FAIL: ");
    vfprintf(stdout, format, args);
    fprintf(stdout, "\n");
    va_end(args);
    exit(1);
}

static void expect_rc(int got, int expected, const char *what) {
    if (got != expected) {
        fail("%s: got %d (%s), expected %d (%s)", what, got, zerror(got), expected,
             zerror(expected));
    }
    printf("ok: %s -> %s\n", what, zerror(got));
}

static void watcher(zhandle_t *zh, int type, int state, const char *path, void *context) {
    struct watched *seen = context;
    (void)zh;
    pthread_mutex_lock(&mutex);
    if (type == ZOO_SESSION_EVENT) {
        seen->connected = state == ZOO_CONNECTED_STATE;
    } else {
        seen->node_events++;
        seen->last_type = type;
        snprintf(seen->last_path, sizeof(seen->last_path), "%s", path);
    }
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&mutex);
}

static struct timespec deadline_in(int seconds) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += seconds;
    return deadline;
}

static zhandle_t *connect_to(const char *hosts, struct watched *seen) {
    zhandle_t *zh = zookeeper_init(hosts, watcher, 10000, NULL, seen, 0);
    if (zh == NULL) fail("zookeeper_init(%s) returned NULL", hosts);
    struct timespec deadline = deadline_in(20);
    pthread_mutex_lock(&mutex);
    while (!seen->connected) {
        if (pthread_cond_timedwait(&changed, &mutex, &deadline) != 0) {
            pthread_mutex_unlock(&mutex);
            fail("no session within 20s");
        }
    }
    pthread_mutex_unlock(&mutex);
    printf("ok: connected, session 0x%llx\n",
           (unsigned long long)zoo_client_id(zh)->client_id);
    return zh;
}

/* Waits for the watcher's node event number `count` and checks it. */
static void expect_event(struct watched *seen, int count, int type, const char *path) {
    struct timespec deadline = deadline_in(10);
    pthread_mutex_lock(&mutex);
    while (seen->node_events < count) {
        if (pthread_cond_timedwait(&changed, &mutex, &deadline) != 0) {
            pthread_mutex_unlock(&mutex);
            fail("no watch event for %s within 10s", path);
        }
    }
    int ok = seen->node_events == count && seen->last_type == type &&
             strcmp(seen->last_path, path) == 0;
    pthread_mutex_unlock(&mutex);
    if (!ok) {
        fail("watch event %d: type %d on %s, expected type %d on %s", count, seen->last_type,
             seen->last_path, type, path);
    }
    printf("ok: watch event type %d on %s\n", type, path);
}

static void expect_data(zhandle_t *zh, const char *path, const char *data, int version,
                        struct Stat *stat) {
    char buffer[256];
    int length = sizeof(buffer);
    expect_rc(zoo_get(zh, path, 0, buffer, &length, stat), ZOK, "zoo_get");
    if (length != (int)strlen(data) || memcmp(buffer, data, length) != 0) {
        fail("zoo_get(%s): got '%.*s', expected '%s'", path, length < 0 ? 0 : length, buffer,
             data);
    }
    if (stat->version != version) {
        fail("zoo_get(%s): version %d, expected %d", path, stat->version, version);
    }
    printf("ok: %s holds '%s' at version %d\n", path, data, version);
}

/* An asynchronous call's answer, for the calls that have no synchronous
 * form (zoo_add_auth, zoo_async). */
struct answer {
    int done;
    int rc;
};

static void answered(int rc, const void *data) {
    struct answer *answer = (struct answer *)data;
    pthread_mutex_lock(&mutex);
    answer->rc = rc;
    answer->done = 1;
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&mutex);
}

static void synced(int rc, const char *value, const void *data) {
    (void)value;
    answered(rc, data);
}

static void wait_for(struct answer *answer, const char *what) {
    struct timespec deadline = deadline_in(10);
    pthread_mutex_lock(&mutex);
    while (!answer->done) {
        if (pthread_cond_timedwait(&changed, &mutex, &deadline) != 0) {
            pthread_mutex_unlock(&mutex);
            fail("no answer to %s within 10s", what);
        }
    }
    pthread_mutex_unlock(&mutex);
    expect_rc(answer->rc, ZOK, what);
}

/* The handle's node catches up with the leader: what other sessions wrote
 * before is visible to its next reads. */
static void sync_path(zhandle_t *zh, const char *path) {
    struct answer answer = {0, 0};
    expect_rc(zoo_async(zh, path, synced, &answer), ZOK, "zoo_async sent");
    wait_for(&answer, "zoo_async (sync)");
}

static void add_digest(zhandle_t *zh, const char *user_password) {
    struct answer answer = {0, 0};
    expect_rc(zoo_add_auth(zh, "digest", user_password, (int)strlen(user_password), answered,
                           &answer),
              ZOK, "zoo_add_auth sent");
    wait_for(&answer, "zoo_add_auth");
}

static void join(char *out, size_t size, const char *base, const char *name) {
    snprintf(out, size, "%s/%s", base, name);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s HOST:PORT[,...] [BASE_PATH]\n", argv[0]);
        return 2;
    }
    const char *hosts = argv[1];
    const char *base = argc > 2 ? argv[2] : "/c_client";
    char path[512], created[512], expected[512];
    struct Stat stat;
    zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);

    struct watched seen = {0}, seen2 = {0};
    zhandle_t *zh = connect_to(hosts, &seen);
    const int64_t session = zoo_client_id(zh)->client_id;

    expect_rc(zoo_create(zh, base, "base", 4, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, NULL, 0), ZOK,
              "zoo_create base");

    /* An ephemeral sequential node: named by the parent's cversion, owned by
     * this session. */
    join(path, sizeof(path), base, "eph-");
    expect_rc(zoo_create(zh, path, "ephemeral", 9, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL_SEQUENTIAL,
                         created, sizeof(created)),
              ZOK, "zoo_create ephemeral sequential");
    join(expected, sizeof(expected), base, "eph-0000000000");
    if (strcmp(created, expected) != 0) fail("created %s, expected %s", created, expected);
    char ephemeral[512];
    snprintf(ephemeral, sizeof(ephemeral), "%s", created);
    expect_data(zh, ephemeral, "ephemeral", 0, &stat);
    if (stat.ephemeralOwner != session) {
        fail("ephemeralOwner 0x%llx, expected 0x%llx", (unsigned long long)stat.ephemeralOwner,
             (unsigned long long)session);
    }

    /* Versioned writes. */
    expect_rc(zoo_set(zh, ephemeral, "v1", 2, 0), ZOK, "zoo_set at version 0");
    expect_rc(zoo_set(zh, ephemeral, "v2", 2, 0), ZBADVERSION, "zoo_set at a stale version");
    expect_data(zh, ephemeral, "v1", 1, &stat);
    join(path, sizeof(path), base, "missing");
    expect_rc(zoo_set(zh, path, "x", 1, -1), ZNONODE, "zoo_set of a missing node");

    /* An exists watch on a node yet to be created, then on its data. */
    char watched_path[512];
    join(watched_path, sizeof(watched_path), base, "watched");
    expect_rc(zoo_exists(zh, watched_path, 1, &stat), ZNONODE, "zoo_exists with watch (absent)");
    expect_rc(zoo_create(zh, watched_path, "w0", 2, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, NULL, 0),
              ZOK, "zoo_create watched");
    expect_event(&seen, 1, ZOO_CREATED_EVENT, watched_path);
    expect_rc(zoo_exists(zh, watched_path, 1, &stat), ZOK, "zoo_exists with watch (present)");
    expect_rc(zoo_set(zh, watched_path, "w1", 2, stat.version), ZOK, "zoo_set watched");
    expect_event(&seen, 2, ZOO_CHANGED_EVENT, watched_path);

    /* Children, and a persistent sequential node numbered after them. */
    join(path, sizeof(path), base, "seq-");
    expect_rc(zoo_create(zh, path, NULL, -1, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT_SEQUENTIAL,
                         created, sizeof(created)),
              ZOK, "zoo_create persistent sequential");
    join(expected, sizeof(expected), base, "seq-0000000002");
    if (strcmp(created, expected) != 0) fail("created %s, expected %s", created, expected);
    struct String_vector children;
    expect_rc(zoo_get_children(zh, base, 0, &children), ZOK, "zoo_get_children");
    const char *names[] = {"eph-0000000000", "seq-0000000002", "watched"};
    int found = 0;
    for (int i = 0; i < children.count; i++) {
        for (int j = 0; j < 3; j++) found += strcmp(children.data[i], names[j]) == 0;
    }
    if (children.count != 3 || found != 3) fail("zoo_get_children: %d children", children.count);
    printf("ok: %s has eph-0000000000, seq-0000000002, watched\n", base);
    deallocate_String_vector(&children);

    /* A multi whose third op fails: nothing applied; each op's result. */
    char m1[512], m2[512], missing[512];
    join(m1, sizeof(m1), base, "m1");
    join(m2, sizeof(m2), base, "m2");
    join(missing, sizeof(missing), base, "missing");
    zoo_op_t ops[4];
    zoo_op_result_t results[4];
    zoo_create_op_init(&ops[0], m1, "m", 1, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, NULL, 0);
    zoo_set_op_init(&ops[1], watched_path, "multi", 5, 1, NULL);
    zoo_delete_op_init(&ops[2], missing, -1);
    zoo_create_op_init(&ops[3], m2, "m", 1, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, NULL, 0);
    expect_rc(zoo_multi(zh, 4, ops, results), ZNONODE, "zoo_multi with a failing delete");
    const int per_op[4] = {ZOK, ZOK, ZNONODE, ZRUNTIMEINCONSISTENCY};
    for (int i = 0; i < 4; i++) {
        if (results[i].err != per_op[i]) {
            fail("multi op %d: %d (%s), expected %d", i, results[i].err, zerror(results[i].err),
                 per_op[i]);
        }
    }
    printf("ok: multi results ZOK, ZOK, ZNONODE, ZRUNTIMEINCONSISTENCY\n");
    expect_rc(zoo_exists(zh, m1, 0, &stat), ZNONODE, "zoo_exists of the multi's first create");
    expect_data(zh, watched_path, "w1", 1, &stat);

    char m1_created[512];
    struct Stat set_stat;
    zoo_create_op_init(&ops[0], m1, "m", 1, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, m1_created,
                       sizeof(m1_created));
    zoo_set_op_init(&ops[1], watched_path, "multi", 5, 1, &set_stat);
    zoo_check_op_init(&ops[2], m1, 0);
    zoo_delete_op_init(&ops[3], m1, 0);
    expect_rc(zoo_multi(zh, 4, ops, results), ZOK, "zoo_multi that succeeds");
    for (int i = 0; i < 4; i++) {
        if (results[i].err != ZOK) fail("multi op %d: %s", i, zerror(results[i].err));
    }
    if (strcmp(m1_created, m1) != 0 || set_stat.version != 2) {
        fail("multi results: created '%s', set version %d", m1_created, set_stat.version);
    }
    expect_rc(zoo_exists(zh, m1, 0, &stat), ZNONODE, "zoo_exists of the multi's deleted node");
    expect_data(zh, watched_path, "multi", 2, &stat);

    /* Deletes. */
    expect_rc(zoo_delete(zh, watched_path, 1), ZBADVERSION, "zoo_delete at a stale version");
    expect_rc(zoo_delete(zh, watched_path, 2), ZOK, "zoo_delete at the version");
    expect_rc(zoo_delete(zh, missing, -1), ZNONODE, "zoo_delete of a missing node");
    expect_rc(zoo_delete(zh, base, -1), ZNOTEMPTY, "zoo_delete of a parent");

    /* Digest ACLs: the creator's own ACL needs an authenticated creator; a
     * second session is refused until it adds the same digest. */
    zhandle_t *other = connect_to(hosts, &seen2);
    sync_path(other, base); /* it may be on another node */
    char private_path[512];
    join(private_path, sizeof(private_path), base, "private");
    expect_rc(zoo_create(other, private_path, "x", 1, &ZOO_CREATOR_ALL_ACL, ZOO_PERSISTENT, NULL,
                         0),
              ZINVALIDACL, "zoo_create with the creator's ACL, unauthenticated");
    add_digest(zh, "alice:secret");
    expect_rc(zoo_create(zh, private_path, "secret", 6, &ZOO_CREATOR_ALL_ACL, ZOO_PERSISTENT, NULL,
                         0),
              ZOK, "zoo_create with the creator's ACL");
    struct ACL_vector acl;
    expect_rc(zoo_get_acl(zh, private_path, &acl, &stat), ZOK, "zoo_get_acl by the owner");
    sync_path(other, private_path);
    if (acl.count != 1 || strcmp(acl.data[0].id.scheme, "digest") != 0 ||
        strncmp(acl.data[0].id.id, "alice:", 6) != 0 || acl.data[0].perms != ZOO_PERM_ALL) {
        fail("the ACL is not digest alice with all permissions");
    }
    printf("ok: ACL is digest %s, perms %d\n", acl.data[0].id.id, acl.data[0].perms);
    deallocate_ACL_vector(&acl);

    char buffer[64];
    int length = sizeof(buffer);
    expect_rc(zoo_get(other, private_path, 0, buffer, &length, &stat), ZNOAUTH,
              "zoo_get unauthenticated");
    expect_rc(zoo_set(other, private_path, "y", 1, -1), ZNOAUTH, "zoo_set unauthenticated");
    expect_rc(zoo_exists(other, private_path, 0, &stat), ZOK, "zoo_exists (no ACL check)");
    add_digest(other, "alice:wrong");
    length = sizeof(buffer);
    expect_rc(zoo_get(other, private_path, 0, buffer, &length, &stat), ZNOAUTH,
              "zoo_get with a wrong password");
    add_digest(other, "alice:secret");
    expect_data(other, private_path, "secret", 0, &stat);
    expect_rc(zoo_set(other, private_path, "shared", 6, 0), ZOK, "zoo_set authenticated");

    /* Closing the session deletes its ephemeral at once. */
    expect_rc(zookeeper_close(zh), ZOK, "zookeeper_close");
    int rc = ZOK;
    for (int attempt = 0; attempt < 50 && rc == ZOK; attempt++) {
        rc = zoo_exists(other, ephemeral, 0, &stat);
        if (rc == ZOK) {
            struct timespec pause = {0, 100 * 1000 * 1000};
            nanosleep(&pause, NULL);
        }
    }
    expect_rc(rc, ZNONODE, "zoo_exists of the closed session's ephemeral");
    expect_rc(zookeeper_close(other), ZOK, "zookeeper_close of the second session");
    printf("all checks passed\n");
    return 0;
}
