"""Isolation sites: rooms, check-in and check-out, occupancy, the room reserve per 10,000
residents, and the worker pass that raises capacity and reserve alerts."""

from .capacity import check_capacity
from .occupancy import Occupancy, Reserve, occupancy, reserve, reserve_target, served_area
from .rooms import add_rooms, parse_room_numbers
from .stays import check_in, check_out

__all__ = ["Occupancy", "Reserve", "add_rooms", "check_capacity", "check_in", "check_out", "occupancy",
           "parse_room_numbers", "reserve", "reserve_target", "served_area"]
