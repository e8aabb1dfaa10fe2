// tests/util/background_process.h: one command that a test starts in the
// background, in a process group of its own, with its stdout and stderr
// going to a file. Header-only.
//
// COMMAND is one simple shell command, run as `/bin/sh -c "exec COMMAND"`:
// the process is the command itself, leader of the group that holds
// everything it starts (e.g. `timeout ... mpirun ...` and every rank; GNU
// timeout, were it not the leader, would move to a group of its own). Set
// variables with `env NAME=value ...` (`exec NAME=value` is no command).
// The process stays unreaped (a
// zombie) after it ends until Kill9() or the destructor, so its pid, which
// is the group's id, cannot be handed to another process meanwhile: killing
// the group never hits a stranger. The destructor kills the whole group
// with SIGKILL and reaps the process, so a test that fails half-way leaves
// nothing running.
//
// Not thread-safe: one thread owns it.
//
//   BackgroundProcess job("timeout 60 " + binary + " train ...", dir + "/job.log");
//   ASSERT_TRUE(job.started());
//   ASSERT_TRUE(job.WaitForOutput("committed", std::chrono::seconds(60))) << job.output();
//   ASSERT_TRUE(job.WaitForExit(std::chrono::seconds(30))) << "the job hung\n" << job.output();
//   EXPECT_EQ(job.exit_code(), 0) << job.output();
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace ember::testing_util {

class BackgroundProcess {
 public:
  // Starts `command` in a new process group, its stdout and stderr
  // truncating and then filling `output_path`. started() is false when the
  // fork failed; a command that cannot run ends with exit code 126 or 127.
  BackgroundProcess(const std::string& command, const std::string& output_path) : output_path_(output_path) {
    // Only async-signal-safe calls between fork and exec: everything the
    // child needs is made here.
    const std::string exec_command = "exec " + command;
    const char* const shell_command = exec_command.c_str();
    const char* const output = output_path_.c_str();
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setpgid(0, 0);
      const int fd = ::open(output, O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd < 0) ::_exit(127);
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
      if (fd > STDERR_FILENO) ::close(fd);
      ::execl("/bin/sh", "sh", "-c", shell_command, static_cast<char*>(nullptr));
      ::_exit(127);
    }
    // Also here, so that the group exists before the constructor returns
    // (whichever of parent and child runs first).
    if (pid_ > 0) ::setpgid(pid_, pid_);
  }
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;
  ~BackgroundProcess() {
    if (pid_ > 0 && !reaped_) Kill9();
  }

  bool started() const { return pid_ > 0; }
  // The process's pid, which is also its group's id; -1 if not started.
  pid_t pid() const { return pid_; }

  // True once the process has ended (by exit or signal); never blocks.
  bool Exited() {
    if (ended_ || pid_ <= 0) return true;
    siginfo_t info{};
    // WNOWAIT: see that it ended, but leave the zombie holding the pid.
    if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid_) {
      ended_ = true;
      if (info.si_code == CLD_EXITED) {
        exit_code_ = info.si_status;
      } else {
        signal_ = info.si_status;
        exit_code_ = 128 + info.si_status;
      }
    }
    return ended_;
  }

  // Waits until the process has ended: true, or false when `timeout` passed
  // first (the process still runs).
  bool WaitForExit(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!Exited()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }

  // Waits until the output holds `text` (true), or the process ended
  // without writing it or `timeout` passed (false).
  bool WaitForOutput(const std::string& text, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (output().find(text) != std::string::npos) return true;
      if (Exited()) return output().find(text) != std::string::npos;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return false;
  }

  // kill -9 of the whole process group (the command may be `timeout ...
  // ember`, whose ember would outlive a kill of `timeout` alone), then reaps
  // the process. Its exit_code() is then 137, unless it had ended before.
  void Kill9() {
    if (pid_ <= 0 || reaped_) return;
    ::kill(-pid_, SIGKILL);
    int status = 0;
    if (::waitpid(pid_, &status, 0) == pid_ && !ended_) {
      ended_ = true;
      signal_ = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + signal_;
    }
    reaped_ = true;
  }

  // Once Exited(): the exit code, or 128 + the signal that ended it (as a
  // shell reports it); -1 while it runs or when it never started.
  int exit_code() const { return exit_code_; }
  // Once Exited(): the signal that ended the command, 0 when it exited.
  int signal() const { return signal_; }

  // Everything the process has written so far; "" before its first write.
  std::string output() const {
    std::ifstream in(output_path_, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  const std::string& output_path() const { return output_path_; }

 private:
  std::string output_path_;
  pid_t pid_ = -1;
  bool ended_ = false;   // seen ended (by waitid) or reaped
  bool reaped_ = false;  // waited for: its pid may belong to another process now
  int exit_code_ = -1;
  int signal_ = 0;
};

}  // namespace ember::testing_util
