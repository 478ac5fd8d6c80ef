/* status_cmd.h — `memguard status`: the running daemon's view (its state
 * file, report/status.h) as a table or JSON; with --sample, one sample
 * taken by the command itself when no daemon runs. memguard(8), STATUS. */
#ifndef MEMGUARD_STATUS_CMD_H
#define MEMGUARD_STATUS_CMD_H

/* Exit codes, as systemctl status: 0 shown, 3 memguard is not running
 * (nothing shown but why), 1 an error, 2 usage. */
#define STATUS_EXIT_NOT_RUNNING 3

/* ARGV[0] is "status". CONFIG_PATH: the config --sample judges with. */
int status_command(int argc, char **argv, const char *config_path);

#endif
