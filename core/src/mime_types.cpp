// mime_types.cpp — Content-Type from a file name's extension (the short list BASIC
// reports and exports actually produce; everything else is application/octet-stream).
#include <cstring>

#include "mvsmtp/mime.hpp"

namespace mvsmtp {

std::string guess_content_type(std::string_view filename) {
    static const struct {
        const char* ext;
        const char* type;
    } kTypes[] = {
        {"pdf", "application/pdf"},
        {"csv", "text/csv"},
        {"txt", "text/plain"},
        {"html", "text/html"},
        {"htm", "text/html"},
        {"xml", "application/xml"},
        {"json", "application/json"},
        {"zip", "application/zip"},
        {"gz", "application/gzip"},
        {"png", "image/png"},
        {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},
        {"gif", "image/gif"},
        {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
        {"xls", "application/vnd.ms-excel"},
        {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
        {"doc", "application/msword"},
    };
    const std::size_t dot = filename.rfind('.');
    const std::size_t slash = filename.find_last_of("/\\");
    if (dot != std::string_view::npos && (slash == std::string_view::npos || dot > slash)) {
        std::string ext(filename.substr(dot + 1));
        for (char& c : ext)
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
        for (const auto& t : kTypes)
            if (ext == t.ext) return t.type;
    }
    return "application/octet-stream";
}

}  // namespace mvsmtp
