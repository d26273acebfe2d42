// SPDX-License-Identifier: MIT
// The --out folder of both examples: what it removes when a run fails, and what it leaves alone;
// the command a failed run prints to write its outputs again.
#include "output_folder.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;

TEST_CASE("OutputFolder: a folder it created and the run left empty goes again; one it found stays") {
    siamese::test::TempDir dir;
    { examples::OutputFolder out(dir / "new"); }
    CHECK_FALSE(fs::exists(dir / "new"));
    fs::create_directory(dir / "found");
    { examples::OutputFolder out(dir / "found"); }
    CHECK(fs::is_directory(dir / "found"));
    {
        examples::OutputFolder out(dir / "written");
        std::ofstream(dir / "written" / "model.ckpt") << "weights";
    }
    CHECK(fs::is_regular_file(dir / "written" / "model.ckpt"));
}

TEST_CASE("OutputFolder: removes only the folder it created, not what replaced it during the run") {
    // The folder deleted mid-run and an empty file of the user's put in its place: the file was
    // removed, as if it were the empty folder.
    siamese::test::TempDir dir;
    const fs::path out = dir / "out";
    {
        examples::OutputFolder held(out);
        fs::remove(out);
        std::ofstream{out};
    }
    CHECK(fs::is_regular_file(out));
    fs::remove(out);
    {
        examples::OutputFolder held(out);
        fs::remove(out);
        fs::create_directory(out);  // an empty folder of the user's, made anew
    }
    CHECK(fs::is_directory(out));
}

TEST_CASE("OutputFolder: its write probe leaves a file of the user's named .write_test alone") {
    siamese::test::TempDir dir;
    fs::create_directory(dir / "out");
    std::ofstream(dir / "out" / ".write_test") << "my notes";
    { examples::OutputFolder out(dir / "out"); }
    std::ifstream notes(dir / "out" / ".write_test");
    std::string text;
    std::getline(notes, text);
    CHECK(text == "my notes");
    CHECK_FALSE(fs::exists(dir / "out" / (".write_test." + std::to_string(::getpid()))));
}

TEST_CASE("OutputFolder: the probes of runs killed while probing go, once their process is gone") {
    siamese::test::TempDir dir;
    fs::create_directory(dir / "out");
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) ::_exit(0);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    const std::string dead = std::to_string(child), live = std::to_string(::getppid());
    for (const std::string& name : {".write_test." + dead, ".write_test." + dead + ".tmp." + dead,
                                    ".write_test." + dead + ".notes", ".write_test.0" + dead, ".write_test." + live})
        std::ofstream(dir / "out" / name) << "ok";
    { examples::OutputFolder out(dir / "out"); }
    CHECK_FALSE(fs::exists(dir / "out" / (".write_test." + dead)));
    CHECK_FALSE(fs::exists(dir / "out" / (".write_test." + dead + ".tmp." + dead)));
    CHECK(fs::exists(dir / "out" / (".write_test." + dead + ".notes")));  // not a probe's name
    CHECK(fs::exists(dir / "out" / (".write_test.0" + dead)));            // nor is a pid written so
    CHECK(fs::exists(dir / "out" / (".write_test." + live)));             // a live process's
}

TEST_CASE("rewrite_outputs: the command quotes for a shell the paths that need it, and only those") {
    CHECK(examples::shell_word("out/run_1/checkpoint.ckpt") == "out/run_1/checkpoint.ckpt");
    CHECK(examples::shell_word("my runs/a") == "'my runs/a'");
    CHECK(examples::shell_word("it's") == "'it'\\''s'");
    CHECK(examples::shell_word("$HOME") == "'$HOME'");
    CHECK(examples::shell_word("") == "''");
    CHECK(examples::shell_word("=x") == "'=x'");  // zsh expands a leading '=' to a command's path
    CHECK(examples::shell_word("a=b") == "a=b");  // elsewhere it is plain
    const auto rewrite = examples::rewrite_outputs("my runs/a", "", "data/mnist");
    CHECK(rewrite.checkpoint == "my runs/a/checkpoint.ckpt");  // for prose: as it is
    CHECK(rewrite.command == "train --resume 'my runs/a/checkpoint.ckpt' --data data/mnist");
    const auto elsewhere = examples::rewrite_outputs("new out", "old/checkpoint.ckpt", "my data");
    CHECK(elsewhere.command == "train --resume old/checkpoint.ckpt --data 'my data' --out 'new out'");
}
