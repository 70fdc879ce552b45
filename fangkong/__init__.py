"""fangkong (防控): grassroots epidemic prevention and control."""
