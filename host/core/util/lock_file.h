// An exclusive lock on a file (flock), held while this object lives, with its holder's pid and
// start time written into the file so the next process to try says who holds it. Every way of
// failing says what is true: another holder, or why the file cannot be made (a path too long, a
// directory not writable or on a read-only filesystem, a full disk), with the path.
#pragma once
#include <string>

namespace longalign::host {

class LockFile {
 public:
  // Throws InputError naming `file`; `what` says what the lock guards, for the message.
  LockFile(const std::string& file, const std::string& holder_description);
  LockFile(const LockFile&) = delete;
  ~LockFile();

 private:
  int fd_ = -1;
};

}  // namespace longalign::host
