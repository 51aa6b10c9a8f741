/* Placeholder so the emulator library has a source until the first emulator lands. */
int sgx_emu_placeholder(void);
int sgx_emu_placeholder(void)
{
    return 0;
}
