/* VGA text-mode console mirror (used when booted in text mode). */
#ifndef DRIVERS_VGA_TEXT_H
#define DRIVERS_VGA_TEXT_H

#include "hv/compiler.h"

void vga_text_init(uint64_t phys, uint32_t cols, uint32_t rows);
void vga_text_putc(char c);

#endif
