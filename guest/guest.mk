# Guest programs: placeholder until the guest build lands.
.PHONY: guests
guests:
