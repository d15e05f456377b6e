// The memory floor of the operator's HTTP stack: a program that links cpprestsdk and
// OpenSSL as the operator does and makes one HTTPS request, then prints its VmRSS in KiB.
// operator_scale_bench runs it against the same sandbox as the baseline that no operator
// built on these libraries can go below.
//
//   cpprest_floor URL CA_FILE
#include <cpprest/http_client.h>

#include <fstream>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: cpprest_floor URL CA_FILE\n";
    return 2;
  }
  try {
    web::http::client::http_client_config cc;
    const std::string ca = argv[2];
    cc.set_ssl_context_callback([ca](boost::asio::ssl::context& ctx) { ctx.load_verify_file(ca); });
    web::http::client::http_client client(web::uri(argv[1]), cc);
    const auto response = client.request(web::http::methods::GET, "/version").get();
    response.extract_string().get();  // read the body, as any real request does
    std::ifstream status("/proc/self/status");
    std::string key, kb;
    while (status >> key) {
      if (key == "VmRSS:" && status >> kb) {
        std::cout << kb << "\n";
        return 0;
      }
    }
    std::cerr << "cpprest_floor: no VmRSS in /proc/self/status\n";
  } catch (const std::exception& e) {
    std::cerr << "cpprest_floor: " << e.what() << "\n";
  }
  return 1;
}
