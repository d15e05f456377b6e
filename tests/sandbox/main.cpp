// phase-sandbox-apiserver: the sandbox Kubernetes API server as a process, for people,
// kubectl and the end-to-end tests. Runs until SIGINT or SIGTERM.
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include "sandbox/kubeconfig.hpp"
#include "sandbox/sandbox.hpp"

namespace {

const char* kUsage =
    "usage: phase-sandbox-apiserver [--port N] [--host 127.0.0.1] [--data-dir DIR] [--kubeconfig-out PATH]\n"
    "                               [--token T] [--no-tls] [--no-simulate-jobs] [--no-simulate-deployments]\n"
    "                               [--job-duration-ms N] [--rollout-duration-ms N] [--bookmark-interval-s N]\n";

int usage(const std::string& error) {
  if (!error.empty()) std::cerr << "phase-sandbox-apiserver: " << error << "\n";
  std::cerr << kUsage;
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  pmo::sandbox::Options o;
  std::string kubeconfigOut;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](std::string& out) -> bool {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    std::string v;
    try {
      if (a == "--help" || a == "-h") {
        std::cout << kUsage;
        return 0;
      } else if (a == "--port" && value(v)) o.port = std::stoi(v);
      else if (a == "--host" && value(v)) o.host = v;
      else if (a == "--data-dir" && value(v)) o.dataDir = v;
      else if (a == "--kubeconfig-out" && value(v)) kubeconfigOut = v;
      else if (a == "--token" && value(v)) o.token = v;
      else if (a == "--no-tls") o.tls = false;
      else if (a == "--no-simulate-jobs") o.simulateJobs = false;
      else if (a == "--no-simulate-deployments") o.simulateDeployments = false;
      else if (a == "--job-duration-ms" && value(v)) o.jobDuration = std::chrono::milliseconds(std::stol(v));
      else if (a == "--rollout-duration-ms" && value(v)) o.rolloutDuration = std::chrono::milliseconds(std::stol(v));
      else if (a == "--bookmark-interval-s" && value(v)) o.bookmarkInterval = std::chrono::seconds(std::stol(v));
      else return usage("unknown or incomplete flag: " + a);
    } catch (const std::exception&) {
      return usage("bad value for " + a + ": " + v);
    }
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // every thread inherits the mask; sigwait below
  try {
    pmo::sandbox::Server server(o);
    server.start();
    std::string kubeconfig = server.kubeconfigPath();
    if (!kubeconfigOut.empty()) {
      std::string content = std::string();
      {
        FILE* f = std::fopen(kubeconfig.c_str(), "rb");
        if (!f) throw std::runtime_error("cannot read " + kubeconfig);
        char buf[4096];
        size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) content.append(buf, n);
        std::fclose(f);
      }
      pmo::sandbox::writePrivateFile(kubeconfigOut, content);
      kubeconfig = kubeconfigOut;
    }
    std::cout << "sandbox API server listening on " << server.url() << ", kubeconfig: " << kubeconfig << std::endl;
    int sig = 0;
    sigwait(&signals, &sig);
    std::cout << "sandbox API server stopping (signal " << sig << ")" << std::endl;
    server.stop();
  } catch (const std::exception& e) {
    std::cerr << "phase-sandbox-apiserver: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
