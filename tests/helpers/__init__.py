"""What several test modules share. ``COURSE`` is the course under test, found as every tool finds it
(coursetools.course): from the working directory, which `make test` sets to the repository."""
from coursetools.course import Course

COURSE = Course.find()
