"""Real MariaDB servers for tests: `mariadbd` processes on loopback, each with
its own port on 127.0.0.1, socket, configuration and data directory under a
temporary folder, started and stopped by process id.

- MariaDB: one server. Its data directory is bootstrapped with
  mariadb-install-db (or copied from a bootstrapped template), its options
  (server_id, log_bin, ROW binlog, gtid_strict_mode, log_slave_updates,
  read_only, semi-synchronous replication) are written to its own option
  file at every start, and start() returns once it accepts connections.
- MariaDBCluster: n such servers replicating by GTID, server 1 the primary
  (read_only=OFF) and the others replicas of it (read_only=ON).

Every server has the users of bootstrap(): root (no password, from 127.0.0.1
or the socket) and REPL_USER for replication. Queries go through Debian's
python3-pymysql. mariadbd runs as the current user, or with --user=root when
that is root (it refuses to run as root otherwise). The programs are found
on PATH or in /usr/sbin, or named by $MARIADBD and $MARIADB_INSTALL_DB.

Used by tests/mysql/*_test.py (run by CTest with the system python3)."""

import atexit
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from ports import free_ports  # noqa: E402,F401 - also offered to the tests

try:
    import pymysql
except ImportError as error:  # pragma: no cover - depends on the machine
    raise ImportError("python3-pymysql is missing: run tools/install-deps.sh") from error

REPL_USER = "repl"
REPL_PASSWORD = "repl-password"

# Small enough that three servers start in about a second on a two-core
# machine; large enough for test workloads.
_SMALL_SERVER_OPTIONS = {
    "innodb_buffer_pool_size": "32M",
    "innodb_log_file_size": "8M",
    "innodb_buffer_pool_dump_at_shutdown": "OFF",
    "innodb_buffer_pool_load_at_startup": "OFF",
    "performance_schema": "OFF",
    "max_connections": "100",
}


def write_credentials(directory, name, user, password, mode=0o600):
    """A MySQL option file with a [client] group, as Warden reads its
    credentials; the password double-quoted with \\ and \" escaped."""
    path = os.path.join(directory, name)
    quoted = password.replace("\\", "\\\\").replace('"', '\\"')
    with open(path, "w") as f:
        f.write(f'[client]\nuser = {user}\npassword = "{quoted}"\n')
    os.chmod(path, mode)
    return path


class MariaDBNotInstalled(RuntimeError):
    pass


def _find_program(env_name, name):
    """$env_name if set, else `name` on PATH or in the sbin directories."""
    if os.environ.get(env_name):
        path = os.environ[env_name]
    else:
        search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin", "/usr/bin"])
        path = shutil.which(name, path=search)
    if not path or not os.access(path, os.X_OK):
        raise MariaDBNotInstalled(
            f"{name} not found ({env_name}={os.environ.get(env_name, '')!r}, PATH searched): "
            "the MariaDB tests need Debian's mariadb-server; run tools/install-deps.sh")
    return path


def programs():
    """(mariadbd, mariadb-install-db) paths; MariaDBNotInstalled if either is missing."""
    return (_find_program("MARIADBD", "mariadbd"),
            _find_program("MARIADB_INSTALL_DB", "mariadb-install-db"))


def _as_root():
    return os.geteuid() == 0


def _die_with_parent():
    """Runs in the child before exec: SIGKILL it when the test process dies,
    so a test killed by a timeout leaves no mariadbd behind."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)



def bootstrap(datadir, log_path):
    """A fresh data directory with the system tables, root without a password
    and REPL_USER. Run with the binary log off, so the users are not events a
    replica would fetch: copies of one bootstrapped directory can replicate
    from each other."""
    _, install_db = programs()
    users_sql = os.path.join(os.path.dirname(datadir), "bootstrap-users.sql")
    with open(users_sql, "w") as f:
        # The bootstrap server starts with grant tables off; loading them
        # allows account statements.
        f.write("FLUSH PRIVILEGES;\n"
                f"CREATE USER '{REPL_USER}'@'%' IDENTIFIED BY '{REPL_PASSWORD}';\n"
                f"GRANT REPLICATION SLAVE ON *.* TO '{REPL_USER}'@'%';\n")
    command = [install_db, "--no-defaults", "--auth-root-authentication-method=normal",
               f"--datadir={datadir}", "--skip-test-db", "--skip-name-resolve",
               f"--extra-file={users_sql}"]
    command += [f"--{name}={value}" for name, value in _SMALL_SERVER_OPTIONS.items()
                if name.startswith("innodb_")]
    if _as_root():
        command.append("--user=root")
    with open(log_path, "a") as log:
        result = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, timeout=300)
    if result.returncode != 0:
        with open(log_path) as log:
            raise RuntimeError(f"mariadb-install-db failed ({result.returncode}):\n"
                               + log.read()[-4000:])


class MariaDB:
    """One mariadbd in root/mariadb<server_id>: bootstrap(), then start().
    `options` are server options (name -> value) written to its option file
    at each start, so a changed option takes effect at the next start() or
    restart(); `SET GLOBAL` changes last until a restart."""

    def __init__(self, root, server_id, port=None, read_only=False, semi_sync_master=False,
                 semi_sync_slave=False, skip_slave_start=False, options=None):
        self.mariadbd, _ = programs()
        self.server_id = server_id
        self.dir = os.path.join(root, f"mariadb{server_id}")
        self.datadir = os.path.join(self.dir, "data")
        self.socket = os.path.join(self.dir, "mariadbd.sock")
        self.config_path = os.path.join(self.dir, "my.cnf")
        self.error_log = os.path.join(self.dir, "error.log")
        self.port = port if port is not None else free_ports(1)[0]
        self.proc = None
        self.options = {
            "server_id": str(server_id),
            "log_bin": "mariadb-bin",
            "relay_log": "relay-bin",
            "binlog_format": "ROW",
            "log_slave_updates": "ON",
            "gtid_strict_mode": "ON",
            "read_only": "ON" if read_only else "OFF",
            "rpl_semi_sync_master_enabled": "ON" if semi_sync_master else "OFF",
            "rpl_semi_sync_slave_enabled": "ON" if semi_sync_slave else "OFF",
            "skip_name_resolve": "ON",
            **_SMALL_SERVER_OPTIONS,
        }
        if skip_slave_start:
            self.options["skip_slave_start"] = "ON"
        self.options.update(options or {})
        os.makedirs(self.dir, exist_ok=True)

    def bootstrap(self, template=None):
        """Runs mariadb-install-db, or copies `template` (a bootstrapped,
        cleanly shut down data directory), into this server's datadir."""
        if template:
            shutil.copytree(template, self.datadir, symlinks=True)
        else:
            bootstrap(self.datadir, os.path.join(self.dir, "install-db.log"))

    def _write_config(self):
        lines = ["[mariadbd]",
                 f"datadir={self.datadir}", f"socket={self.socket}", f"port={self.port}",
                 "bind_address=127.0.0.1", f"pid_file={os.path.join(self.dir, 'mariadbd.pid')}",
                 f"log_error={self.error_log}", f"tmpdir={self.dir}"]
        lines += [f"{name}={value}" for name, value in self.options.items()]
        with open(self.config_path, "w") as f:
            f.write("\n".join(lines) + "\n")

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self, seconds=60):
        """Starts mariadbd and returns once it answers on its socket and its port."""
        self.launch()
        self.wait_ready(seconds)

    def launch(self):
        """Starts mariadbd without waiting for it (see wait_ready)."""
        if self.running():
            raise RuntimeError(f"mariadb{self.server_id} is already running (pid {self.pid})")
        self._write_config()
        command = [self.mariadbd, f"--defaults-file={self.config_path}"]
        if _as_root():
            command.append("--user=root")
        with open(os.path.join(self.dir, "stdout.log"), "a") as out:
            self.proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)

    def wait_ready(self, seconds=60):
        deadline = time.monotonic() + seconds
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mariadb{self.server_id} exited with {self.proc.returncode} "
                                   f"while starting; end of its error log:\n{self.error_log_tail()}")
            try:
                self.connect(connect_timeout=1).close()
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except (pymysql.err.OperationalError, OSError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"mariadb{self.server_id} (pid {self.pid}) not ready within "
                                       f"{seconds}s; end of its error log:\n{self.error_log_tail()}")
                time.sleep(0.05)

    def send_signal(self, sig):
        """Sends `sig` to the pid, if it still runs; does not wait."""
        if self.running():
            self.proc.send_signal(sig)

    def wait_exit(self, seconds=60):
        """Waits for the process to exit (SIGKILL after `seconds`); its exit
        status (negative: the signal that ended it), None if none was started."""
        if not self.proc:
            return None
        try:
            self.proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        returncode, self.proc = self.proc.returncode, None
        return returncode

    def _signal(self, sig, seconds):
        self.send_signal(sig)
        return self.wait_exit(seconds)

    def stop(self, seconds=60):
        """Clean shutdown: SIGTERM to its pid, SIGKILL if it outlasts `seconds`."""
        return self._signal(signal.SIGTERM, seconds)

    def kill(self):
        """Crash: SIGKILL to its pid."""
        return self._signal(signal.SIGKILL, 30)

    def restart(self, seconds=60):
        self.stop(seconds)
        self.start(seconds)

    def connect(self, user="root", password="", tcp=False, database=None, connect_timeout=10):
        """A pymysql connection in autocommit mode: root over the socket by
        default, or any user over TCP to 127.0.0.1."""
        where = ({"host": "127.0.0.1", "port": self.port} if tcp or user != "root"
                 else {"unix_socket": self.socket})
        return pymysql.connect(user=user, password=password, database=database,
                               autocommit=True, connect_timeout=connect_timeout, **where)

    def sql(self, query, args=None, dicts=False, **connect_args):
        """Runs one statement on a fresh connection; its rows as tuples, or as
        dicts (column name -> value) with dicts=True."""
        connection = self.connect(**connect_args)
        try:
            cursor_class = pymysql.cursors.DictCursor if dicts else pymysql.cursors.Cursor
            with connection.cursor(cursor_class) as cursor:
                cursor.execute(query, args)
                return list(cursor.fetchall())
        finally:
            connection.close()

    def value(self, query, args=None):
        """The first column of the first row (None if no row)."""
        rows = self.sql(query, args)
        return rows[0][0] if rows else None

    def variable(self, name):
        return self.value(f"SELECT @@GLOBAL.{name}")

    def status(self, name):
        """A global status variable (SHOW GLOBAL STATUS), as a string."""
        rows = self.sql("SHOW GLOBAL STATUS LIKE %s", (name,))
        return rows[0][1] if rows else None

    def error_log_tail(self, chars=3000):
        try:
            with open(self.error_log, errors="replace") as f:
                return f.read()[-chars:]
        except OSError:
            return "(no error log)"


_template = None


def template_datadir():
    """A data directory bootstrapped once per process (removed at exit), for
    servers to copy: copying takes a tenth of a second, bootstrapping one or two."""
    global _template
    if _template is None:
        root = tempfile.mkdtemp(prefix="warden-mariadb-template-")
        atexit.register(shutil.rmtree, root, ignore_errors=True)
        try:
            bootstrap(os.path.join(root, "data"), os.path.join(root, "install-db.log"))
        except BaseException:
            shutil.rmtree(root, ignore_errors=True)
            raise
        _template = os.path.join(root, "data")
    return _template


class MariaDBCluster:
    """n servers replicating by GTID from server 1, numbered from 1
    (cluster[1] is the first). start() copies the bootstrapped template into
    each and starts them in parallel; teardown() (also on leaving a `with`
    block, or when start() fails) stops every server it started and removes
    the temporary directory, whatever state they are in.

    semi_sync=True starts every server with both semi-synchronous roles
    enabled and the AFTER_SYNC wait point, as a failover setup would (a
    promoted replica is then already a semi-sync primary). Other keyword
    arguments are passed to every MariaDB."""

    def __init__(self, n=3, semi_sync=False, **server_args):
        programs()
        if semi_sync:
            server_args.update(semi_sync_master=True, semi_sync_slave=True)
            server_args["options"] = {"rpl_semi_sync_master_wait_point": "AFTER_SYNC",
                                      **server_args.get("options", {})}
        self.root = tempfile.mkdtemp(prefix="warden-mariadb-")
        ports = free_ports(n)
        self.servers = [MariaDB(self.root, i + 1, port=ports[i], read_only=(i > 0), **server_args)
                        for i in range(n)]
        self.start_seconds = None

    def __getitem__(self, i):
        if not 1 <= i <= len(self.servers):
            raise IndexError(f"servers are numbered 1 to {len(self.servers)}")
        return self.servers[i - 1]

    def __len__(self):
        return len(self.servers)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.teardown()

    def start(self):
        """Bootstraps (first cluster of the process only), copies, starts all
        servers and points servers 2..n at server 1."""
        try:
            began = time.monotonic()
            template = template_datadir()
            for server in self.servers:
                server.bootstrap(template)
            for server in self.servers:
                server.launch()
            for server in self.servers:
                server.wait_ready()
            for i in range(2, len(self.servers) + 1):
                self.replicate_from(i, 1)
            self.start_seconds = time.monotonic() - began
        except BaseException:
            self.teardown()
            raise

    def replicate_from(self, replica, primary):
        """Points server `replica` at server `primary` by GTID (its
        gtid_slave_pos) and starts its slave threads."""
        source = self[primary]
        self[replica].sql("STOP SLAVE")
        self[replica].sql(
            "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=%s, MASTER_USER=%s, "
            "MASTER_PASSWORD=%s, MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1",
            (source.port, REPL_USER, REPL_PASSWORD))
        self[replica].sql("START SLAVE")

    def gtid_current_pos(self, i):
        return self[i].variable("gtid_current_pos")

    def gtid_slave_pos(self, i):
        return self[i].variable("gtid_slave_pos")

    def gtid_binlog_pos(self, i):
        return self[i].variable("gtid_binlog_pos")

    def replication_status(self, i):
        """SHOW SLAVE STATUS of server i as a dict, or None if it replicates from nobody."""
        rows = self[i].sql("SHOW SLAVE STATUS", dicts=True)
        return rows[0] if rows else None

    def wait_caught_up(self, primary=1, replicas=None, seconds=30):
        """Until every replica (by default every running server but `primary`)
        has applied all of `primary`'s binary log, by MASTER_GTID_WAIT; returns
        that position. Raises with the replica's slave status if it does not
        get there within `seconds`."""
        if replicas is None:
            replicas = [i for i in range(1, len(self) + 1)
                        if i != primary and self[i].running()]
        position = self.gtid_binlog_pos(primary)
        for i in replicas:
            if self[i].value("SELECT MASTER_GTID_WAIT(%s, %s)", (position, seconds)) != 0:
                status = self.replication_status(i) or {}
                details = {k: status.get(k) for k in (
                    "Slave_IO_Running", "Slave_SQL_Running", "Last_IO_Error", "Last_SQL_Error",
                    "Gtid_IO_Pos", "Master_Port")}
                raise RuntimeError(f"mariadb{i} did not reach {position} of mariadb{primary} "
                                   f"within {seconds}s: {details}")
        return position

    def teardown(self):
        """Stops every server still running (SIGTERM, then SIGKILL) and
        removes the cluster's directory. Safe to call more than once."""
        for server in self.servers:
            server.send_signal(signal.SIGTERM)
        for server in self.servers:
            server.wait_exit(seconds=30)
        shutil.rmtree(self.root, ignore_errors=True)
