// SPDX-License-Identifier: Apache-2.0
/* A unikernel in one file: a multiboot (v1) ELF32 kernel with no OS around
 * it. QEMU's direct kernel boot loads it; it prints one line on COM1 and
 * halts (the domain stays running). Built by tests/images/build-anyapp-images.sh
 * with gcc -m32 -ffreestanding -nostdlib and unikernel.ld. */
#define MB_MAGIC 0x1BADB002u
#define MB_FLAGS 0x0u

__attribute__((section(".multiboot"), used, aligned(4))) static const unsigned mb_header[3] = {
    MB_MAGIC, MB_FLAGS, (unsigned)-(MB_MAGIC + MB_FLAGS)};

unsigned char uk_stack[4096] __attribute__((aligned(16)));

static inline void outb(unsigned short port, unsigned char v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline unsigned char inb(unsigned short port)
{
	unsigned char v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void com1_put(char c)
{
	while (!(inb(0x3F8 + 5) & 0x20)) /* transmitter holding register empty */
		;
	outb(0x3F8, (unsigned char)c);
}

static void com1_puts(const char *s)
{
	for (; *s; s++)
		com1_put(*s);
}

void kmain(unsigned magic)
{
	outb(0x3F8 + 1, 0x00); /* no interrupts */
	outb(0x3F8 + 3, 0x80); /* DLAB */
	outb(0x3F8 + 0, 0x01); /* 115200 baud */
	outb(0x3F8 + 1, 0x00);
	outb(0x3F8 + 3, 0x03); /* 8N1 */
	com1_puts(magic == 0x2BADB002u ? "UNIKERNEL: hello from a multiboot kernel\n"
				       : "UNIKERNEL: not started by a multiboot loader\n");
	for (;;)
		__asm__ volatile("cli; hlt");
}

__asm__(".globl _start\n"
	"_start:\n"
	"  mov $uk_stack + 4096, %esp\n"
	"  push %eax\n" /* the loader's magic */
	"  call kmain\n"
	"1: hlt\n"
	"  jmp 1b\n");
