#include "plugin/elf_check.h"

#include <elf.h>

#include <fstream>
#include <vector>

namespace longalign::host {

std::string check_elf_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "cannot be read";
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) return "cannot be read: " + ec.message();
  Elf64_Ehdr h{};
  in.read(reinterpret_cast<char*>(&h), sizeof h);
  if (static_cast<size_t>(in.gcount()) < EI_NIDENT || h.e_ident[EI_MAG0] != ELFMAG0 || h.e_ident[EI_MAG1] != ELFMAG1 ||
      h.e_ident[EI_MAG2] != ELFMAG2 || h.e_ident[EI_MAG3] != ELFMAG3)
    return "is not an ELF file";
  if (static_cast<size_t>(in.gcount()) < sizeof h) return "is truncated: the ELF header is incomplete";
  if (h.e_ident[EI_CLASS] != ELFCLASS64) return "is not a 64-bit ELF file";
  if (h.e_type != ET_DYN) return "is an ELF file but not a shared library";
#if defined(__x86_64__)
  if (h.e_machine != EM_X86_64) return "is a shared library for another machine (e_machine " + std::to_string(h.e_machine) + ")";
#elif defined(__aarch64__)
  if (h.e_machine != EM_AARCH64) return "is a shared library for another machine (e_machine " + std::to_string(h.e_machine) + ")";
#endif
  if (h.e_phentsize != sizeof(Elf64_Phdr)) return "has an unexpected program header size";
  const uint64_t ph_end = h.e_phoff + uint64_t{h.e_phnum} * sizeof(Elf64_Phdr);
  if (h.e_phoff > size || ph_end > size)
    return "is truncated: " + std::to_string(size) + " bytes, its program headers end at byte " + std::to_string(ph_end);
  std::vector<Elf64_Phdr> ph(h.e_phnum);
  in.seekg(static_cast<std::streamoff>(h.e_phoff));
  in.read(reinterpret_cast<char*>(ph.data()), static_cast<std::streamsize>(ph.size() * sizeof(Elf64_Phdr)));
  if (!in) return "cannot be read";
  for (auto& p : ph) {
    if (p.p_type != PT_LOAD && p.p_type != PT_DYNAMIC) continue;
    const uint64_t end = p.p_offset + p.p_filesz;
    if (end < p.p_offset || end > size)
      return "is truncated: " + std::to_string(size) + " bytes, a segment ends at byte " + std::to_string(end);
  }
  return {};
}

}  // namespace longalign::host
