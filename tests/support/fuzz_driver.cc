// Runs a fuzz target without libFuzzer, as an ordinary test: every file of the
// corpus directories given on the command line, then seeded random inputs
// made by mutating them. A property violation aborts (the test fails).
//
//   <fuzz test> [--random N] [--seed S] DIR...
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "cohort/base/random.h"
#include "support/fuzz_target.h"


namespace {

void Run(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
}

// One random edit: insert, overwrite, erase, or duplicate a tail.
void Mutate(cohort::Random& random, std::string& input) {
  const auto op = random.Uniform(4);
  if (op == 0 || input.empty()) {
    input.insert(input.begin() + static_cast<long>(random.Uniform(input.size() + 1)),
                 static_cast<char>(random.Next64()));
  } else if (op == 1) {
    input[random.Uniform(input.size())] = static_cast<char>(random.Next64());
  } else if (op == 2) {
    input.erase(random.Uniform(input.size()), 1 + random.Uniform(4));
  } else {
    input += input.substr(random.Uniform(input.size()));
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t seed = 1;
  long random_inputs = 10000;
  std::vector<std::string> corpus;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--seed" && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--random" && i + 1 < argc) {
      random_inputs = std::strtol(argv[++i], nullptr, 10);
    } else {
      for (const auto& entry : std::filesystem::directory_iterator(arg)) {
        if (!entry.is_regular_file()) continue;
        std::ifstream in(entry.path(), std::ios::binary);
        corpus.emplace_back(std::istreambuf_iterator<char>(in),
                            std::istreambuf_iterator<char>());
      }
    }
  }
  for (const std::string& input : corpus) Run(input);
  cohort::Random random(seed);
  for (long n = 0; n < random_inputs; ++n) {
    std::string input = corpus.empty() ? std::string() : corpus[random.Uniform(corpus.size())];
    const auto edits = 1 + random.Uniform(8);
    for (std::uint64_t e = 0; e < edits; ++e) Mutate(random, input);
    Run(input);
  }
  std::printf("%zu corpus inputs and %ld mutated inputs passed (seed %llu)\n", corpus.size(),
              random_inputs, static_cast<unsigned long long>(seed));
  return 0;
}
