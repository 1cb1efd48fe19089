"""What a teacher takes away: grades for Moodle and Pronote, feedback, reports, sheets, quizzes."""
