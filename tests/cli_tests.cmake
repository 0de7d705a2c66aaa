# End-to-end checks that run build/warden as a user would: simulator seed
# batches, replay, planted bugs, and the Jepsen labels. Tests are added below by
# area; each calls the real binary.

# Every labelled Jepsen etcd history gets the verdict its label gives.
add_test(NAME lincheck_jepsen_labels
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/check_lincheck_labels.sh $<TARGET_FILE:warden> ${WARDEN_SHARED_DIR}/testdata/jepsen-etcd)

# Deterministic simulator: seed batches (long), replay, planted bugs.
add_test(NAME sim_seeds_3_nodes COMMAND $<TARGET_FILE:warden> sim --seeds 500 --nodes 3)
add_test(NAME sim_seeds_5_nodes COMMAND $<TARGET_FILE:warden> sim --seeds 500 --nodes 5)
set_tests_properties(sim_seeds_3_nodes sim_seeds_5_nodes PROPERTIES LABELS long TIMEOUT 1800)
# The ZooKeeper tree workload: writes held against the committed log, reads
# against the state at their zxid.
add_test(NAME sim_tree_seeds_3_nodes
  COMMAND $<TARGET_FILE:warden> sim --workload tree --seeds 500 --nodes 3)
add_test(NAME sim_tree_seeds_5_nodes
  COMMAND $<TARGET_FILE:warden> sim --workload tree --seeds 200 --nodes 5)
set_tests_properties(sim_tree_seeds_3_nodes sim_tree_seeds_5_nodes PROPERTIES LABELS long TIMEOUT 1800)
add_test(NAME sim_tree_replay
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/sim_replay.sh $<TARGET_FILE:warden> 11 --workload tree)
add_test(NAME sim_replay
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/sim_replay.sh $<TARGET_FILE:warden> 7)
foreach(bug vote-twice commit-without-quorum vote-ignores-log commit-old-epoch-by-count
            send-before-fsync prep-ignores-pending)
  string(REPLACE "-" "_" bug_test ${bug})
  add_test(NAME sim_planted_bug_${bug_test}
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/sim_expect_bug.sh $<TARGET_FILE:warden> ${bug})
endforeach()
add_test(NAME sim_list_bugs COMMAND $<TARGET_FILE:warden> sim --list-bugs)
set_tests_properties(sim_list_bugs PROPERTIES PASS_REGULAR_EXPRESSION
  "vote-twice\ncommit-without-quorum\nvote-ignores-log\ncommit-old-epoch-by-count\nsend-before-fsync\nprep-ignores-pending\nskip-lease-wait\nno-relay-wait\nno-self-fence\npromote-any-replica")
# The MySQL workload: the agents' failover decisions against a model of
# MariaDB replication, faults one at a time (sim/mysql_workload.h).
add_test(NAME sim_mysql_seeds COMMAND $<TARGET_FILE:warden> sim --workload mysql --seeds 200)
set_tests_properties(sim_mysql_seeds PROPERTIES TIMEOUT 900 LABELS "long")
# Faults piling up: a new one every few seconds, whatever is still broken.
add_test(NAME sim_mysql_overlapping_seeds
  COMMAND $<TARGET_FILE:warden> sim --workload mysql --seeds 200 --overlapping-faults)
set_tests_properties(sim_mysql_overlapping_seeds PROPERTIES TIMEOUT 900 LABELS "long")
add_test(NAME sim_mysql_replay
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/sim_replay.sh $<TARGET_FILE:warden> 5 --workload mysql)
# The failover bugs the MySQL checker catches (skip-lease-wait and
# no-self-fence are not caught: the plan's own fences and semi-sync cover
# them, see docs/ARCHITECTURE.md).
foreach(bug no-relay-wait promote-any-replica)
  string(REPLACE "-" "_" bug_test ${bug})
  add_test(NAME sim_planted_bug_${bug_test}
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/sim_expect_bug.sh $<TARGET_FILE:warden> ${bug})
endforeach()

# Real `warden serve` processes on loopback with a real client: Debian's
# python3-kazoo (hence the system python3, which has it).
add_test(NAME integration_kazoo
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/integration/kazoo_test.py $<TARGET_FILE:warden>)
set_tests_properties(integration_kazoo PROPERTIES LABELS integration TIMEOUT 600
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
# `warden cli` and `warden bench` (Warden's own client), checked with kazoo.
add_test(NAME integration_cli
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/integration/cli_test.py $<TARGET_FILE:warden>)
set_tests_properties(integration_cli PROPERTIES LABELS integration TIMEOUT 600
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
# The Java client, as users type it (Debian's zookeeper package).
add_test(NAME integration_zkcli
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/integration/zkcli_test.py $<TARGET_FILE:warden>)
set_tests_properties(integration_zkcli PROPERTIES LABELS integration TIMEOUT 600
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
# kazoo's recipes with several clients each, and persistent watches (raw).
add_test(NAME integration_kazoo_recipes
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/integration/kazoo_recipes_test.py $<TARGET_FILE:warden>)
# Killed leaders and nodes, failed multis, digest ACLs, oversized requests.
add_test(NAME integration_faults
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/integration/faults_test.py $<TARGET_FILE:warden>)
set_tests_properties(integration_kazoo_recipes integration_faults PROPERTIES LABELS integration
  TIMEOUT 600 ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
# The C client (Debian's libzookeeper-mt), where tests/CMakeLists.txt built it.
if(TARGET warden_c_client)
  add_test(NAME integration_c_client
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/integration/c_client_test.py
            $<TARGET_FILE:warden> $<TARGET_FILE:warden_c_client>)
  set_tests_properties(integration_c_client PROPERTIES LABELS integration TIMEOUT 600
    ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
endif()
# A full disk under one node of a real ensemble (needs root for the tmpfs;
# skipped otherwise).
add_test(NAME integration_disk_full
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/integration/disk_full_test.py $<TARGET_FILE:warden>)
set_tests_properties(integration_disk_full PROPERTIES LABELS integration TIMEOUT 600
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
# The operator's view: admin HTTP, every four-letter word, and bad clients
# closed and counted.
add_test(NAME integration_admin
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/integration/admin_test.py $<TARGET_FILE:warden>)
set_tests_properties(integration_admin PROPERTIES LABELS integration TIMEOUT 600
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
# The real-MariaDB harness the MySQL agent is tested with: three mariadbd on
# loopback replicating by GTID, a hand failover and semi-sync (needs Debian's
# mariadb-server and python3-pymysql; fails, does not skip, without them).
add_test(NAME mariadb_cluster
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/mysql/mariadb_cluster_test.py)
set_tests_properties(mariadb_cluster PROPERTIES LABELS "integration;mariadb" TIMEOUT 600
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
# `warden mysql probe` against that harness: roles, health, GTID positions,
# and clear errors for bad credentials, refused and silent ports.
add_test(NAME mysql_probe
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/mysql/probe_test.py $<TARGET_FILE:warden>)
set_tests_properties(mysql_probe PROPERTIES LABELS "integration;mariadb" TIMEOUT 600
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
# `warden mysql fence|promote|repoint|wait-applied|semi-sync` against that harness:
# fencing with open clients, a hand failover after SIGKILL, the old primary
# rejoining, and clear errors.
add_test(NAME mysql_admin
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/mysql/admin_test.py $<TARGET_FILE:warden>)
set_tests_properties(mysql_admin PROPERTIES LABELS "integration;mariadb" TIMEOUT 600
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
# Automatic failover: three `warden serve` nodes with their MySQL agents
# beside three MariaDB servers; kill -9 of the primary's mariadbd and of the
# primary's Warden node.
add_test(NAME mysql_failover
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/mysql/failover_test.py $<TARGET_FILE:warden>)
set_tests_properties(mysql_failover PROPERTIES LABELS "integration;mariadb" TIMEOUT 600
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
# The read/write split: `warden router` against hand-written records and
# stand-in backends, then with three MariaDB servers and their agents, the
# agents' health checks and haproxy (docs/haproxy.cfg); kill -9 of the
# primary's mariadbd.
add_test(NAME mysql_router
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/mysql/router_test.py $<TARGET_FILE:warden>)
set_tests_properties(mysql_router PROPERTIES LABELS "integration;mariadb" TIMEOUT 600
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
# The failover benchmark's smoke run (two rounds), so that it cannot rot; the
# full run is `tests/bench/failover_bench.py build/warden` (docs/PERFORMANCE.md).
add_test(NAME mysql_failover_bench_smoke
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/bench/failover_bench.py $<TARGET_FILE:warden>
          --failovers 2)
set_tests_properties(mysql_failover_bench_smoke PROPERTIES LABELS "integration;mariadb" TIMEOUT 600
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
# The side-by-side comparison with Apache ZooKeeper (Debian's zookeeper
# package) in its smoke mode: tiny sizes, one round, every workload, so that
# it cannot rot. It writes its BENCHMARKS.md and docs/bench/ into the build
# tree, not the checkout, and fails when a phase produced no result; the full
# run is `tools/bench_compare.py` (BENCHMARKS.md).
add_test(NAME bench_compare_smoke
  COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/tools/bench_compare.py --smoke --require-all
          --warden $<TARGET_FILE:warden> --output ${CMAKE_CURRENT_BINARY_DIR}/bench_compare_smoke)
set_tests_properties(bench_compare_smoke PROPERTIES LABELS "integration;bench" TIMEOUT 900
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
