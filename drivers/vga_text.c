/* VGA text console: 16-bit cells (character, attribute), hardware cursor
 * through the CRT controller (index 0x3D4, data 0x3D5; regs 0x0E/0x0F). */
#include "drivers/vga_text.h"
#include "hv/x86.h"

#define VGA_ATTR_LIGHT_GREY 0x07
#define CRTC_INDEX 0x3D4
#define CRTC_DATA 0x3D5
#define CRTC_CURSOR_HI 0x0E
#define CRTC_CURSOR_LO 0x0F

static volatile uint16_t *screen;
static uint32_t cols, rows, col, row;

void vga_text_init(uint64_t phys, uint32_t c, uint32_t r)
{
	screen = (volatile uint16_t *)phys;
	cols = c ? c : 80;
	rows = r ? r : 25;
	col = row = 0;
	for (uint32_t i = 0; i < cols * rows; i++)
		screen[i] = (VGA_ATTR_LIGHT_GREY << 8) | ' ';
}

static void scroll(void)
{
	for (uint32_t i = 0; i < cols * (rows - 1); i++)
		screen[i] = screen[i + cols];
	for (uint32_t i = cols * (rows - 1); i < cols * rows; i++)
		screen[i] = (VGA_ATTR_LIGHT_GREY << 8) | ' ';
	row = rows - 1;
}

static void move_cursor(void)
{
	uint16_t pos = (uint16_t)(row * cols + col);
	outb(CRTC_INDEX, CRTC_CURSOR_HI);
	outb(CRTC_DATA, pos >> 8);
	outb(CRTC_INDEX, CRTC_CURSOR_LO);
	outb(CRTC_DATA, pos & 0xFF);
}

void vga_text_putc(char ch)
{
	if (!screen)
		return;
	if (ch == '\n') {
		col = 0;
		row++;
	} else if (ch == '\r') {
		col = 0;
	} else {
		screen[row * cols + col] = (VGA_ATTR_LIGHT_GREY << 8) | (uint8_t)ch;
		if (++col == cols) {
			col = 0;
			row++;
		}
	}
	if (row == rows)
		scroll();
	if (ch == '\n')
		move_cursor();
}
